import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { freePort, PrivateRedis } from '../../bench/chaos/redis-server.js';
import { isWxhubError } from '../../src/errors/index.js';
import { RedisStore } from '../../src/store/index.js';
import { requireBinary } from '../support/binaries.js';
import { eventually, sleep } from './helpers.js';

/**
 * A Redis restart must not need a process restart. This test runs its own throwaway
 * redis-server (the shared test Redis is never touched), kills it, and starts it again.
 */
const binary = requireBinary('redis-server', 'redis-server');

/**
 * Timeouts far above what the test allows, so a call that fails in time failed because the store
 * knew Redis was down, not because it waited one out. Waits for recovery are bounded by the
 * reconnect backoff (2 s cap) with room for a loaded machine; they end as soon as it happens.
 */
const LONG_TIMEOUT_MS = 30_000;
const RECOVERY_MS = 15_000;

describe.skipIf(!binary)('RedisStore when Redis goes away and comes back', () => {
  it('fails fast while Redis is down, then recovers calls and watchers (with a resync) by itself', async () => {
    const server = new PrivateRedis(binary!, await freePort());
    await server.start();
    const options = { url: server.url, connectTimeoutMs: LONG_TIMEOUT_MS, commandTimeoutMs: LONG_TIMEOUT_MS };
    const watcher = new RedisStore(options);
    const writer = new RedisStore(options);
    try {
      const seen: string[] = [];
      await watcher.watchCredentials((key) => seen.push(key));
      await writer.compareAndSetCredential('before', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 });
      expect(await eventually(() => seen.includes('before'), RECOVERY_MS)).toBe(true);

      // Calls for a second of the outage: the first ones meet the dying connection, the later ones
      // a store that knows Redis is down and is between reconnect attempts. Each fails at once.
      await server.kill();
      const outage = Date.now() + 1000;
      for (let call = 0; Date.now() < outage; call++) {
        const started = Date.now();
        const err = await watcher.getCredential('before').catch((e: unknown) => e);
        expect(isWxhubError(err, 'WXHUB_ERR_STORE_UNAVAILABLE'), String(err)).toBe(true);
        expect(Date.now() - started, `call ${call}`).toBeLessThan(LONG_TIMEOUT_MS / 3);
        await sleep(20);
      }

      await server.start();
      expect(
        await eventually(
          async () => (await watcher.getCredential('before').catch(() => undefined)) === null,
          RECOVERY_MS,
        ),
      ).toBe(true);
      seen.length = 0;
      expect(
        await eventually(
          async () =>
            (await writer
              .compareAndSetCredential('after', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 })
              .catch(() => null)) !== null,
          RECOVERY_MS,
        ),
      ).toBe(true);
      expect(await eventually(() => seen.includes('after'), RECOVERY_MS)).toBe(true);

      // Pub/sub drops what is published while the subscriber is away: the resync reports it.
      const admin = new Redis(server.url);
      try {
        await admin.client('KILL', 'TYPE', 'pubsub');
      } finally {
        admin.disconnect();
      }
      seen.length = 0;
      await writer.compareAndSetCredential('missed', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 });
      expect(await eventually(() => seen.includes('missed'), RECOVERY_MS)).toBe(true);
    } finally {
      await Promise.all([watcher.close(), writer.close()]);
      await server.kill();
    }
  });
});
