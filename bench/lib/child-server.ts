import { type ChildProcess, spawn } from 'node:child_process';

/** The line a bench server prints on stdout once it listens: `LISTENING http://127.0.0.1:PORT`. */
export const READY_PREFIX = 'LISTENING ';

export interface ChildServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after 3 s; resolves when the process is gone. */
  stop(): Promise<void>;
}

/**
 * Starts a server in its own process (so it does not share a CPU core's event loop with the load
 * generator) and waits for its READY line. `args` run under `node --import tsx`, or under its ES
 * module hooks alone with `esmOnly` (its CommonJS hook breaks koa's `require('generator-function')`).
 */
export async function startChildServer(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; esmOnly?: boolean } = {},
): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', options.esmOnly ? 'tsx/esm' : 'tsx', ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`server ${args.join(' ')} did not start`)),
      options.timeoutMs ?? 15_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith(READY_PREFIX));
      if (line) {
        clearTimeout(timer);
        resolve(line.slice(READY_PREFIX.length).trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server ${args.join(' ')} exited with ${code} before listening`));
    });
  });
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** In a child server: announce the URL, then close on SIGTERM/SIGINT. */
export function announceAndWait(url: string, close: () => Promise<unknown> | unknown): void {
  process.stdout.write(`${READY_PREFIX}${url}\n`);
  const stop = async () => {
    await close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
