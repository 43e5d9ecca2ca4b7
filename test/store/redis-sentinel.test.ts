import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { openStore } from '../../src/store/index.js';
import { parseSentinelUrl } from '../../src/store/redis-sentinel-url.js';
import { requireBinary } from '../support/binaries.js';
import { serviceUrl } from '../support/services.js';
import { closedPort, deleteRedisPrefix, eventually, randomId } from './helpers.js';

describe('redis+sentinel:// URLs', () => {
  it('name the sentinels, the master, the database and the master credentials', () => {
    expect(parseSentinelUrl('redis+sentinel://s1:26380,s2,10.0.0.3:1/mymaster/3')).toEqual({
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '10.0.0.3', port: 1 },
      ],
      name: 'mymaster',
      db: 3,
    });
    expect(parseSentinelUrl('redis+sentinel://hub:p%40ss@s1/main')).toMatchObject({
      username: 'hub',
      password: 'p@ss',
      db: 0,
    });
    expect(parseSentinelUrl('redis+sentinel://:secret@s1/main')).toMatchObject({ password: 'secret' });
    expect(parseSentinelUrl('redis://h:6379/0')).toBeNull();
  });

  it.each([
    'redis+sentinel://s1',
    'redis+sentinel://s1:99999/main',
    'redis+sentinel://[::1]:26379/main',
    'redis+sentinel://user:hunter2@s1:x/main',
  ])('refuse %s clearly, without echoing a password', (url) => {
    let err: unknown;
    try {
      openStore(url);
    } catch (e) {
      err = e;
    }
    expect(isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).not.toContain('hunter2');
  });
});

describe('a RedisStore on redis+sentinel:// with no sentinel there', () => {
  it('fails with WXHUB_ERR_STORE_UNAVAILABLE, the URL redacted, the password nowhere', async () => {
    const port = await closedPort();
    const store = openStore(`redis+sentinel://hub:hunter2@127.0.0.1:${port}/main`, {
      redis: { connectTimeoutMs: 300, commandTimeoutMs: 300 },
    });
    try {
      const err = await store.getCredential('k').catch((e: unknown) => e);
      expect(isWxhubError(err, 'WXHUB_ERR_STORE_UNAVAILABLE')).toBe(true);
      expect(String((err as Error).message)).toContain('redis+sentinel://hub:***@127.0.0.1');
      expect(String((err as Error).message)).not.toContain('hunter2');
      expect(String((err as Error).stack)).not.toContain('hunter2');
    } finally {
      await store.close();
    }
  });
});

const redisUrl = serviceUrl('redis');
/** The Sentinel runs from the redis-server binary; CI has it, a laptop with a remote Redis may not. */
const redisServer = redisUrl ? requireBinary('redis-server', 'redis-server') : undefined;

/**
 * A real Sentinel (`redis-server --sentinel`, from the same Debian package as the server) watching
 * the test Redis: the store finds the master through it and works as on a plain URL.
 */
describe.skipIf(!redisServer)('RedisStore through a Sentinel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-sentinel-'));
  const keyPrefix = `wxhub-sentinel-${randomId()}:`;
  let sentinel: ChildProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    const master = new URL(redisUrl!);
    port = await closedPort();
    const config = join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor wxhubtest ${master.hostname} ${master.port || 6379} 1`,
      ].join('\n'),
    );
    sentinel = spawn(redisServer!, [config, '--sentinel'], { stdio: 'ignore' });
    sentinel.on('error', () => undefined); // reported below as "did not start"
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 50 });
    probe.on('error', () => undefined); // refused until the sentinel listens
    try {
      const up = await eventually(async () => {
        try {
          if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
          const addr = (await probe.call('SENTINEL', 'get-master-addr-by-name', 'wxhubtest')) as
            | string[]
            | null;
          return Array.isArray(addr) && addr.length === 2;
        } catch {
          return false;
        }
      }, 10_000);
      if (!up) throw new Error('redis-server --sentinel did not start');
    } finally {
      probe.disconnect();
    }
  });

  afterAll(async () => {
    sentinel?.kill('SIGTERM');
    await deleteRedisPrefix(redisUrl!, keyPrefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores, leases and delivers change notices on the master the sentinel names', async () => {
    const db = new URL(redisUrl!).pathname.slice(1) || '0';
    const url = `redis+sentinel://127.0.0.1:${port}/wxhubtest/${db}`;
    const a = openStore(url, { redis: { keyPrefix } });
    const b = openStore(url, { redis: { keyPrefix } });
    const raw = new Redis(redisUrl!);
    try {
      const seen: string[] = [];
      const stop = await b.watchCredentials((key) => seen.push(key));
      expect(
        await a.compareAndSetCredential('k', 0, { value: 'v1', expiresAt: 2, fetchedAt: 1 }),
      ).toMatchObject({
        version: 1,
      });
      expect(await b.getCredential('k')).toMatchObject({ value: 'v1', version: 1 });
      expect(await raw.hget(`${keyPrefix}cred:k`, 'value')).toBe('v1'); // on the real master
      expect(await a.acquireLease('l', 'me', 5000)).toBe(true);
      expect(await b.acquireLease('l', 'you', 5000)).toBe(false);
      expect(await eventually(() => seen.includes('k'), 10_000)).toBe(true);
      stop();
    } finally {
      raw.disconnect();
      await a.close();
      await b.close();
    }
  });
});
