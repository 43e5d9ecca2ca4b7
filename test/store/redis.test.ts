import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/index.js';
import { serviceUrl } from '../support/services.js';
import { describeStoreContract } from './contract.js';
import { deleteRedisPrefix, eventually, randomId } from './helpers.js';

const url = serviceUrl('redis');
const keyPrefix = `wxhub-test-${randomId()}:`;

if (url) {
  afterAll(() => deleteRedisPrefix(url, keyPrefix));

  describeStoreContract('redis', () => new RedisStore({ url, keyPrefix }), {
    shared: true,
    watchBoundMs: 200,
  });

  describe('RedisStore', () => {
    const raw = new Redis(url);
    afterAll(() => raw.quit());

    it('keeps credentials as a hash, leases, counters and once keys with a PX expiry, all under the prefix', async () => {
      const store = new RedisStore({ url, keyPrefix });
      try {
        await store.compareAndSetCredential('layout', 0, { value: 'tok', expiresAt: 20, fetchedAt: 10 });
        expect(await raw.hgetall(`${keyPrefix}cred:layout`)).toEqual({
          value: 'tok',
          expiresAt: '20',
          fetchedAt: '10',
          version: '1',
        });
        await store.acquireLease('layout', 'me', 5000);
        expect(await raw.get(`${keyPrefix}lease:layout`)).toBe('me');
        const leaseTtl = await raw.pttl(`${keyPrefix}lease:layout`);
        expect(leaseTtl).toBeGreaterThan(4000);
        expect(leaseTtl).toBeLessThanOrEqual(5000);
        await store.incrementCounter('token:wx1', '2026-11-21', 3, 60_000);
        expect(await raw.get(`${keyPrefix}counter:token%3Awx1:2026-11-21`)).toBe('3');
        expect(await raw.pttl(`${keyPrefix}counter:token%3Awx1:2026-11-21`)).toBeGreaterThan(59_000);
        await store.putOnce('layout', 'state', 5000);
        expect(await raw.pttl(`${keyPrefix}once:layout`)).toBeGreaterThan(4000);
      } finally {
        await store.close();
      }
    });

    it('publishes each credential write on PREFIXcredentials', async () => {
      const sub = raw.duplicate();
      const store = new RedisStore({ url, keyPrefix });
      try {
        const messages: string[] = [];
        sub.on('message', (channel: string, key: string) => messages.push(`${channel} ${key}`));
        await sub.subscribe(`${keyPrefix}credentials`);
        await store.compareAndSetCredential('published', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 });
        await store.compareAndSetCredential('published', 0, { value: 'lost', expiresAt: 1, fetchedAt: 1 });
        await store.deleteCredential('published');
        // Pub/sub keeps order: once a later write's message is in, every earlier one would be too.
        await store.compareAndSetCredential('sentinel', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 });
        expect(await eventually(() => messages.at(-1) === `${keyPrefix}credentials sentinel`, 5000)).toBe(
          true,
        );
        expect(messages).toEqual([
          `${keyPrefix}credentials published`,
          `${keyPrefix}credentials published`,
          `${keyPrefix}credentials sentinel`,
        ]);
      } finally {
        sub.disconnect();
        await store.close();
      }
    });

    it('keeps two prefixes apart', async () => {
      const mine = new RedisStore({ url, keyPrefix });
      const theirs = new RedisStore({ url, keyPrefix: `${keyPrefix}other:` });
      try {
        await mine.compareAndSetCredential('apart', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 });
        expect(await theirs.getCredential('apart')).toBeNull();
        expect(await theirs.acquireLease('apart', 'b', 5000)).toBe(true);
        expect(await mine.acquireLease('apart', 'a', 5000)).toBe(true);
      } finally {
        await Promise.all([mine.close(), theirs.close()]);
      }
    });

    it('rejects calls after close with WXHUB_ERR_STORE_UNAVAILABLE', async () => {
      const store = new RedisStore({ url, keyPrefix });
      await store.close();
      await expect(store.getCredential('k')).rejects.toMatchObject({ code: 'WXHUB_ERR_STORE_UNAVAILABLE' });
    });
  });
} else {
  describe.skip('redis store (WXHUB_TEST_REDIS_URL not set)', () => {
    it('runs against Redis', () => undefined);
  });
}
