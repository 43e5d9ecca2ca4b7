import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { request } from 'undici';

const HUB_PROCESS = fileURLToPath(new URL('../fixtures/hub-process.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../hub/fixtures/wxhub-cli.ts', import.meta.url));
const TSX = pathToFileURL(
  fileURLToPath(new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url)),
).href;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it holds; false when `timeoutMs` passed first. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** A hub running in its own OS process. */
export interface HubProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything it wrote on stderr (pino JSON lines), for failure messages. */
  stderr(): string;
  /** Resolves with the exit code (null after a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
  /** SIGTERM and wait (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** A hub of test/fleet/fixtures/hub-process.ts, which takes commands on stdin. */
export interface FleetHub extends HubProcess {
  command<T = Record<string, unknown>>(cmd: Record<string, unknown>): Promise<T>;
}

function track(child: ChildProcessWithoutNullStreams) {
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { stderr: () => stderr, exited, stop };
}

/** Starts one fleet hub (see the fixture for the env it reads) and waits until it listens. */
export async function startFleetHub(env: Record<string, string>): Promise<FleetHub> {
  const child = spawn(process.execPath, ['--import', TSX, HUB_PROCESS], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const tracked = track(child);
  const waiting: ((line: Record<string, unknown>) => void)[] = [];
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i).trim();
      buffer = buffer.slice(i + 1);
      if (line.startsWith('{')) waiting.shift()?.(JSON.parse(line) as Record<string, unknown>);
    }
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      waiting.push(resolve);
      void tracked.exited.then((code) =>
        reject(new Error(`hub exited (${code}) before answering: ${tracked.stderr()}`)),
      );
    });
  // Commands are answered in order, one line each: queue them so answers match their question.
  let queue: Promise<unknown> = Promise.resolve();
  const first = await next();
  return {
    url: String(first.url),
    pid: Number(first.pid),
    child,
    ...tracked,
    command: <T>(cmd: Record<string, unknown>) => {
      const answer = queue.then(() => {
        const reply = next();
        child.stdin.write(`${JSON.stringify(cmd)}\n`);
        return reply;
      });
      queue = answer.catch(() => undefined);
      return answer.then((reply) => {
        if (reply.ok !== true) throw new Error(`hub command ${cmd.cmd}: ${String(reply.error)}`);
        return reply as T;
      });
    },
  };
}

/** `wxhub serve --port 0 ARGS` from source, in `cwd`; resolves once its banner names the URL. */
export async function startServe(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<HubProcess> {
  const clean = { ...process.env };
  delete clean.WXHUB_CONFIG;
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'serve', '--port', '0', ...args], {
    cwd,
    env: { ...clean, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const tracked = track(child);
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void tracked.exited.then((code) =>
      reject(new Error(`wxhub serve exited (${code}): ${stdout} ${tracked.stderr()}`)),
    );
  });
  return { url, pid: child.pid!, child, ...tracked };
}

export interface JsonReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

/** One HTTP request, the body parsed as JSON when it is JSON. */
export async function http(
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; json?: unknown } = {},
): Promise<JsonReply> {
  const res = await request(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const text = await res.body.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: callers look at text
  }
  return { status: res.statusCode, body, text };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
