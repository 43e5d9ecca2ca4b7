import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { PostgresStore, RedisStore, type Store } from '../../src/store/index.js';
import { closedPort } from './helpers.js';

const PASSWORD = 'S3cret-Pa55word';

/** Rejects with STORE_UNAVAILABLE quickly and without the password anywhere in the error. */
async function expectUnavailable(call: Promise<unknown>, withinMs: number): Promise<void> {
  const started = Date.now();
  const err = await call.then(
    () => expect.fail('should have rejected'),
    (e: unknown) => e,
  );
  const elapsed = Date.now() - started;
  expect(isWxhubError(err, 'WXHUB_ERR_STORE_UNAVAILABLE'), String(err)).toBe(true);
  expect(elapsed).toBeLessThan(withinMs);
  const e = err as Error;
  expect(e.message).not.toContain(PASSWORD);
  expect(String(e.stack)).not.toContain(PASSWORD);
  expect(String((e.cause as Error | undefined)?.message ?? '')).not.toContain(PASSWORD);
  expect(JSON.stringify(e)).not.toContain(PASSWORD);
}

/** A server that accepts connections and never answers: a hung Redis or PostgreSQL. */
let silent: Server;
let silentPort = 0;
const sockets = new Set<Socket>();
beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe('a store that cannot be reached', () => {
  it('RedisStore on a closed port fails fast with WXHUB_ERR_STORE_UNAVAILABLE, password hidden', async () => {
    const port = await closedPort();
    const store: Store = new RedisStore(`redis://:${PASSWORD}@127.0.0.1:${port}/0`);
    try {
      await expectUnavailable(store.getCredential('k'), 3000);
      await expectUnavailable(store.acquireLease('l', 'o', 1000), 3000);
      await expectUnavailable(
        store.watchCredentials(() => undefined),
        3000,
      );
    } finally {
      await store.close();
    }
  });

  it('RedisStore on a server that never answers gives up after connectTimeoutMs', async () => {
    const store = new RedisStore({
      url: `redis://user:${PASSWORD}@127.0.0.1:${silentPort}/0`,
      connectTimeoutMs: 800,
    });
    try {
      await expectUnavailable(store.getCredential('k'), 3000);
    } finally {
      await store.close();
    }
  });

  it('PostgresStore on a closed port fails fast with WXHUB_ERR_STORE_UNAVAILABLE, password hidden', async () => {
    const port = await closedPort();
    const store = new PostgresStore(`postgres://wx:${PASSWORD}@127.0.0.1:${port}/wxhub`);
    try {
      await expectUnavailable(store.getCredential('k'), 3000);
      await expectUnavailable(store.incrementCounter('c', 'day'), 3000);
      await expectUnavailable(
        store.watchCredentials(() => undefined),
        3000,
      );
    } finally {
      await store.close();
    }
  });

  it('PostgresStore on a server that never answers gives up after the connect timeout', async () => {
    const store = new PostgresStore({
      url: `postgresql://wx:${PASSWORD}@127.0.0.1:${silentPort}/wxhub`,
      pool: { connectionTimeoutMillis: 800 },
    });
    try {
      await expectUnavailable(store.takeOnce('k'), 3000);
    } finally {
      await store.close();
    }
  });

  it('rejects URLs of the wrong scheme with WXHUB_ERR_INVALID_ARGUMENT', () => {
    expect(() => new RedisStore(`http://u:${PASSWORD}@h/`)).toThrow(
      expect.objectContaining({
        code: 'WXHUB_ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('http:'),
      }),
    );
    expect(() => new PostgresStore('mysql://h/db')).toThrow(
      expect.objectContaining({ code: 'WXHUB_ERR_INVALID_ARGUMENT' }),
    );
    expect(() => new RedisStore('not a url')).toThrow(
      expect.objectContaining({ code: 'WXHUB_ERR_INVALID_ARGUMENT' }),
    );
  });
});
