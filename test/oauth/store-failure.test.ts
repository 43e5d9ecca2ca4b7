import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, SqliteStore } from '../../src/store/index.js';
import { LogCapture } from '../hub/support/hub-fixture.js';
import { type OAuthFixture, oauthFixture, SHOP_RETURN } from './support/oauth-fixture.js';

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The "try again" page a person gets when the store fails: bilingual, no internals. */
function expectStorePage(res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(res.statusCode, res.body).toBe(503);
  expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_STORE_UNAVAILABLE');
  expect(String(res.headers['content-type'])).toContain('text/html');
  expect(res.body).toContain('请稍后重试');
  expect(res.body).toContain('please try again');
  expect(res.headers.location).toBeUndefined();
  expect(res.headers['set-cookie']).toBeUndefined();
}

describe('a failing store on the unauthenticated login routes', () => {
  describe('SQLite, its write lock held by another process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-private-dir-'));
    const path = join(dir, 'store-secret-name.db');
    const logs = new LogCapture();
    let store: SqliteStore;
    let t: OAuthFixture;
    let locker: Database.Database;

    beforeAll(async () => {
      store = new SqliteStore({ path, busyTimeoutMs: 20 });
      t = await oauthFixture({ store, logger: logs.logger });
      locker = new Database(path);
      locker.exec('BEGIN EXCLUSIVE');
    });
    afterAll(async () => {
      if (locker.inTransaction) locker.exec('ROLLBACK');
      locker.close();
      await t?.close();
      await store?.close();
    });

    it('login answers the bilingual "try again" page, naming neither the file nor its directory', async () => {
      const res = await t.inject(t.loginUrl(t.shop.appid, SHOP_RETURN));
      expectStorePage(res);
      expect(res.body).not.toContain('store-secret-name');
      expect(res.body).not.toContain('wxhub-private-dir');
      expect(res.body).not.toContain('sqlite');
      // The operator's log has the cause.
      expect(logs.text()).toContain('WXHUB_ERR_STORE_UNAVAILABLE');
    });

    it('a JSON caller gets the registry message alone', async () => {
      const res = await t.inject({
        url: t.loginUrl(t.shop.appid, SHOP_RETURN),
        headers: { accept: 'application/json' },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        error: { code: 'WXHUB_ERR_STORE_UNAVAILABLE', message: 'Store unavailable' },
      });
    });

    it('the callback answers the same page when it cannot take the state', async () => {
      const res = await t.inject(`/oauth/${t.shop.appid}/callback?code=c0de&state=${'A'.repeat(32)}`);
      expectStorePage(res);
      expect(res.body).not.toContain('store-secret-name');
    });

    it('once the lock is released, logins work again', async () => {
      locker.exec('ROLLBACK');
      const res = await t.inject(t.loginUrl(t.shop.appid, SHOP_RETURN));
      expect(res.statusCode, res.body).toBe(302);
    });
  });

  describe('Redis, unreachable', () => {
    let store: RedisStore;
    let t: OAuthFixture;
    let port: number;

    beforeAll(async () => {
      port = await deadPort();
      store = new RedisStore({
        url: `redis://127.0.0.1:${port}/0`,
        connectTimeoutMs: 100,
        commandTimeoutMs: 100,
      });
      t = await oauthFixture({ store, database: 'memory' });
    });
    afterAll(async () => {
      await t?.close();
      await store?.close();
    });

    it('login answers the "try again" page, naming neither the host nor the port', async () => {
      for (const accept of ['text/html', 'application/json']) {
        const res = await t.inject({ url: t.loginUrl(t.shop.appid, SHOP_RETURN), headers: { accept } });
        expect(res.statusCode).toBe(503);
        expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_STORE_UNAVAILABLE');
        expect(res.body).not.toContain('127.0.0.1');
        expect(res.body).not.toContain(String(port));
        expect(res.body).not.toContain('redis');
        if (accept === 'text/html') expectStorePage(res);
      }
    });
  });
});
