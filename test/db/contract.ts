import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientKeyRecord, Database } from '../../src/db/index.js';
import { isWxhubError } from '../../src/errors/index.js';

const record = (overrides: Partial<ClientKeyRecord> = {}): ClientKeyRecord => ({
  id: randomBytes(8).toString('hex'),
  name: 'shop backend',
  secretHash: randomBytes(32).toString('hex'),
  appids: ['wx1', 'wx2'],
  scopes: ['token', 'refresh'],
  rateLimit: null,
  createdAt: 1_700_000_000_000,
  revokedAt: null,
  ...overrides,
});

/**
 * What every Database backend keeps. `shared`: a second `open()` sees the same data (a second
 * hub on the same file or schema); false for the memory backend.
 */
export function describeDatabaseContract(
  name: string,
  open: () => Database,
  options: { shared: boolean },
): void {
  describe(`${name}: Database contract`, () => {
    let a: Database;
    let b: Database;

    beforeAll(() => {
      a = open();
      b = options.shared ? open() : a;
    });
    afterAll(async () => {
      await a?.close();
      if (b !== a) await b?.close();
    });

    it('answers ping', async () => {
      await expect(a.ping()).resolves.toBeUndefined();
    });

    describe('client keys', () => {
      it('stores and reads back every field', async () => {
        const r = record({ rateLimit: { perSecond: 2.5, burst: 5 }, scopes: ['proxy', 'oauth', 'admin'] });
        await a.keys.insert(r);
        expect(await b.keys.get(r.id)).toEqual(r);
        expect(await a.keys.get('0000000000000000')).toBeNull();
      });

      it('refuses a second key with the same id', async () => {
        const r = record();
        await a.keys.insert(r);
        const err = await b.keys.insert({ ...r, name: 'other' }).catch((e: unknown) => e);
        expect(isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')).toBe(true);
        expect((await a.keys.get(r.id))?.name).toBe('shop backend');
      });

      it('refuses malformed records, naming the field', async () => {
        await expect(a.keys.insert(record({ secretHash: 'plain-secret' }))).rejects.toThrow(/secretHash/);
        await expect(a.keys.insert(record({ scopes: ['root' as 'token'] }))).rejects.toThrow(/scopes/);
        await expect(a.keys.insert(record({ id: 'has_underscore' }))).rejects.toThrow(/id/);
      });

      it('lists oldest first, revoked keys included', async () => {
        const older = record({ createdAt: 1_000 });
        const newer = record({ createdAt: 2_000 });
        await a.keys.insert(newer);
        await a.keys.insert(older);
        const ids = (await b.keys.list()).map((k) => k.id);
        expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id));
        expect(ids.indexOf(older.id)).toBeGreaterThanOrEqual(0);
      });

      it('revokes an active key once', async () => {
        const r = record();
        await a.keys.insert(r);
        expect(await b.keys.revoke(r.id, 1_800_000_000_000)).toBe(true);
        expect(await a.keys.revoke(r.id, 1_900_000_000_000)).toBe(false);
        expect(await a.keys.revoke('ffffffffffffffff', 1)).toBe(false);
        expect((await a.keys.get(r.id))?.revokedAt).toBe(1_800_000_000_000);
      });
    });

    describe('settings', () => {
      const name = (what: string) => `test.${what}.${randomBytes(4).toString('hex')}`;

      it('putIfAbsent: the first writer decides, every later one reads its value', async () => {
        const n = name('first');
        expect(await a.settings.get(n)).toBeNull();
        expect(await a.settings.putIfAbsent(n, 'one')).toBe('one');
        expect(await b.settings.putIfAbsent(n, 'two')).toBe('one');
        expect(await b.settings.get(n)).toBe('one');
      });

      it('putIfAbsent from many callers at once stores one value', async () => {
        const n = name('race');
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).settings.putIfAbsent(n, `v${i}`)),
        );
        expect(new Set(results).size).toBe(1);
        expect(await a.settings.get(n)).toBe(results[0]);
      });

      it('compareAndSet replaces only the expected value', async () => {
        const n = name('cas');
        expect(await a.settings.compareAndSet(n, 'x', 'y')).toBe(false);
        await a.settings.putIfAbsent(n, 'v1');
        expect(await b.settings.compareAndSet(n, 'v0', 'v2')).toBe(false);
        expect(await b.settings.compareAndSet(n, 'v1', 'v2')).toBe(true);
        expect(await a.settings.get(n)).toBe('v2');
      });

      it('refuses bad names', async () => {
        await expect(a.settings.get('has space')).rejects.toThrow(/setting name/);
      });
    });

    it('after close, calls fail with WXHUB_ERR_DATABASE_UNAVAILABLE', async () => {
      const db = options.shared ? open() : open();
      await db.close();
      const err = await db.keys.get('0000000000000000').catch((e: unknown) => e);
      expect(isWxhubError(err, 'WXHUB_ERR_DATABASE_UNAVAILABLE')).toBe(true);
      await expect(db.ping()).rejects.toThrow(/closed/);
      await db.close();
    });
  });
}
