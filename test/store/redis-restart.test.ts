import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { RedisStore } from '../../src/store/index.js';
import { closedPort, eventually, sleep } from './helpers.js';

/**
 * A Redis restart must not need a process restart. This test runs its own throwaway
 * redis-server (the shared test Redis is never touched), kills it, and starts it again.
 */
function redisServerBinary(): string | undefined {
  try {
    return execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const binary = redisServerBinary();
if (!binary) console.warn('\n!!! SKIPPING the Redis restart test: no redis-server binary on PATH !!!\n');

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    binary!,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const probe = new RedisStore({ url: `redis://127.0.0.1:${port}/0`, keyPrefix: 'probe:' });
  try {
    const up = await eventually(async () => (await probe.getCounter('c', 'w').catch(() => -1)) === 0, 5000);
    if (!up) throw new Error('redis-server did not start');
  } finally {
    await probe.close();
  }
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe.skipIf(!binary)('RedisStore when Redis goes away and comes back', () => {
  it('fails fast while Redis is down, then recovers calls and watchers (with a resync) by itself', async () => {
    const port = await closedPort();
    let server = await startRedis(port);
    const url = `redis://127.0.0.1:${port}/0`;
    const watcher = new RedisStore({ url });
    const writer = new RedisStore({ url });
    try {
      const seen: string[] = [];
      await watcher.watchCredentials((key) => seen.push(key));
      await writer.compareAndSetCredential('before', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 });
      expect(await eventually(() => seen.includes('before'), 1000)).toBe(true);

      await stop(server);
      await sleep(50);
      const started = Date.now();
      const err = await watcher.getCredential('before').catch((e: unknown) => e);
      expect(isWxhubError(err, 'WXHUB_ERR_STORE_UNAVAILABLE'), String(err)).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000);

      server = await startRedis(port);
      expect(
        await eventually(
          async () => (await watcher.getCredential('before').catch(() => undefined)) === null,
          5000,
        ),
      ).toBe(true);
      seen.length = 0;
      expect(
        await eventually(
          async () =>
            (await writer
              .compareAndSetCredential('after', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 })
              .catch(() => null)) !== null,
          5000,
        ),
      ).toBe(true);
      expect(await eventually(() => seen.includes('after'), 3000)).toBe(true);

      // Pub/sub drops what is published while the subscriber is away: the resync reports it.
      const admin = new Redis(url);
      try {
        await admin.client('KILL', 'TYPE', 'pubsub');
      } finally {
        admin.disconnect();
      }
      seen.length = 0;
      await writer.compareAndSetCredential('missed', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 });
      expect(await eventually(() => seen.includes('missed'), 3000)).toBe(true);
    } finally {
      await Promise.all([watcher.close(), writer.close()]);
      await stop(server);
    }
  });
});
