import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { findBinary } from '../../test/support/binaries.js';

/** The `redis-server` binary on PATH, or undefined. */
export function redisServerBinary(): string | undefined {
  return findBinary('redis-server');
}

/** A free loopback port (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no free port');
  return address.port;
}

/** Servers still running: killed when this process exits (normally or on an uncaught error). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A private, throwaway redis-server on a fixed loopback port (never the shared test Redis): no
 * persistence, so a restart comes back empty, as a Redis without AOF does after a crash.
 */
export class PrivateRedis {
  #child: ChildProcess | undefined;

  constructor(
    readonly binary: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts it and resolves once it answers PING. */
  async start(timeoutMs = 10_000): Promise<void> {
    this.#child = spawn(
      this.binary,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const child = this.#child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    const probe = new Redis({
      port: this.port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined);
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pong = await probe
          .connect()
          .then(() => probe.ping())
          .catch(() => '');
        if (pong === 'PONG') return;
        probe.disconnect();
        if (Date.now() > deadline || !this.running)
          throw new Error(`redis-server on ${this.port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      probe.disconnect();
    }
  }

  /** SIGKILL: no shutdown, no save. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** True when the credential `key` (e.g. `token:APPID`) is stored. */
  async hasCredential(key: string): Promise<boolean> {
    const client = new Redis({
      port: this.port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    try {
      await client.connect();
      return (await client.exists(`wxhub:cred:${key}`)) === 1;
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }
}
