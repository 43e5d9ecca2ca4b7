import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** tsx's loader by absolute URL, so children start the same whatever the cwd (vitest or npm). */
const TSX = pathToFileURL(
  fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url)),
).href;

/** One JSON line a chaos child writes on stdout. */
export type ChildMessage =
  | { readonly type: 'ready'; readonly [field: string]: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: boolean; readonly [field: string]: unknown }
  | { readonly type: 'event'; readonly [field: string]: unknown };

/**
 * A `node --import tsx FILE` child that speaks JSON lines: commands `{id, cmd, ...}` on stdin,
 * `ready` once, `reply` per command (matched by id), and `event` lines whenever it likes. Stderr
 * (pino logs) goes to a file. Pending commands reject when the child dies, so a SIGKILL never
 * leaves the harness waiting.
 */
export class ChaosChild {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  readonly #pending = new Map<number, { resolve: (m: ChildMessage) => void; reject: (e: Error) => void }>();
  readonly #events: ((event: Record<string, unknown>) => void)[] = [];
  readonly #log: WriteStream | undefined;
  #nextId = 1;
  #ready: Promise<Record<string, unknown>>;

  constructor(file: string, env: Record<string, string>, logFile?: string) {
    this.child = spawn(process.execPath, ['--import', TSX, file], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
    this.child.stderr.on('data', (chunk: Buffer) => this.#log?.write(chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        for (const { reject } of this.#pending.values()) reject(new Error(`${file} exited (${code})`));
        this.#pending.clear();
        this.#log?.end();
        resolve(code);
      }),
    );
    // A write to a dead child's stdin is an EPIPE we expect after a SIGKILL, not a crash.
    this.child.stdin.on('error', () => undefined);
    this.#ready = new Promise((resolve, reject) => {
      let buffer = '';
      this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
          const line = buffer.slice(0, i).trim();
          buffer = buffer.slice(i + 1);
          if (!line.startsWith('{')) continue;
          const message = JSON.parse(line) as ChildMessage;
          if (message.type === 'ready') resolve(message);
          else if (message.type === 'reply') {
            const waiter = this.#pending.get(message.id);
            this.#pending.delete(message.id);
            waiter?.resolve(message);
          } else for (const listener of this.#events) listener(message);
        }
      });
      void this.exited.then((code) => reject(new Error(`${file} exited (${code}) before it was ready`)));
    });
    this.#ready.catch(() => undefined);
  }

  /** The `ready` message (e.g. `{url, pid}`), once the child announced it. */
  ready(timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return withTimeout(this.#ready, timeoutMs, 'child did not become ready');
  }

  onEvent(listener: (event: Record<string, unknown>) => void): void {
    this.#events.push(listener);
  }

  /** Sends a command and resolves its reply; rejects when the reply says `ok: false` or the child dies. */
  async command<T = Record<string, unknown>>(cmd: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    if (!this.alive) throw new Error(`child is not running (command ${String(cmd.cmd)})`);
    const id = this.#nextId++;
    const reply = new Promise<ChildMessage>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    const message = (await withTimeout(reply, timeoutMs, `command ${String(cmd.cmd)} timed out`).finally(() =>
      this.#pending.delete(id),
    )) as ChildMessage & { ok?: boolean; error?: string };
    if (message.ok !== true) throw new Error(`command ${String(cmd.cmd)}: ${String(message.error)}`);
    return message as T;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) {
      await this.exited;
      return;
    }
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Rejects with `message` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (after ${ms} ms)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The child side of the protocol: `send` one message; `serve` answers commands until stdin closes. */
export function childProtocol(handle: (cmd: Record<string, unknown>) => Promise<Record<string, unknown>>) {
  const send = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);
  const serve = async () => {
    const { createInterface } = await import('node:readline');
    for await (const line of createInterface({ input: process.stdin })) {
      if (!line.trim()) continue;
      const cmd = JSON.parse(line) as Record<string, unknown>;
      // Concurrently: replies carry the command's id, and a slow command must not hold up a clock move.
      void handle(cmd).then(
        (result) => send({ type: 'reply', id: cmd.id, ok: true, ...result }),
        (err: unknown) =>
          send({
            type: 'reply',
            id: cmd.id,
            ok: false,
            error: err instanceof Error ? err.message : String(err),
          }),
      );
    }
  };
  return { send, serve };
}
