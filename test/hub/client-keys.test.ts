import { describe, expect, it, vi } from 'vitest';
import { MemoryDatabase } from '../../src/db/index.js';
import { ClientKeys, hashKeySecret, parseClientKey } from '../../src/hub/index.js';
import * as keyFormat from '../../src/hub/keys/client-key-format.js';
import { ManualClock } from '../../src/util/clock.js';

describe('ClientKeys', () => {
  it('creates URL-safe keys and stores only a SHA-256 of the secret part', async () => {
    const db = new MemoryDatabase();
    const keys = new ClientKeys(db);
    const { key, record } = await keys.create({
      name: 'shop',
      appids: ['wx1'],
      scopes: ['token', 'refresh'],
    });
    expect(key).toMatch(/^wxk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(key)).toBe(key);
    const parsed = parseClientKey(key)!;
    const stored = (await db.keys.get(record.id))!;
    expect(stored.secretHash).toBe(hashKeySecret(parsed.secret));
    expect(JSON.stringify(await db.keys.list())).not.toContain(parsed.secret);
    expect(stored).toMatchObject({
      name: 'shop',
      appids: ['wx1'],
      scopes: ['token', 'refresh'],
      revokedAt: null,
    });
  });

  it('verifies the right key only, and never a revoked one', async () => {
    const keys = new ClientKeys(new MemoryDatabase());
    const { key, record } = await keys.create({ name: 'a', appids: ['wx1'], scopes: ['token'] });
    expect((await keys.verify(key))?.id).toBe(record.id);
    expect(await keys.verify(`${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`)).toBeNull();
    expect(await keys.verify(`wxk_ffffffffffffffff_${key.slice(-43)}`)).toBeNull();
    expect(await keys.verify('')).toBeNull();
    expect(await keys.revoke(record.id)).toBe(true);
    expect(await keys.revoke(record.id)).toBe(false);
    expect(await keys.verify(key)).toBeNull();
  });

  it('rejects bad scopes and appids, naming them', async () => {
    const keys = new ClientKeys(new MemoryDatabase());
    await expect(keys.create({ name: 'a', appids: ['wx1'], scopes: ['root' as 'token'] })).rejects.toThrow(
      /root/,
    );
    await expect(keys.create({ name: 'a', appids: [], scopes: ['token'] })).rejects.toThrow(/appid/);
    await expect(keys.create({ name: 'a', appids: ['wx 1'], scopes: ['token'] })).rejects.toThrow(/wx 1/);
    expect((await keys.create({ name: 'a', appids: [], scopes: ['admin'] })).record.scopes).toEqual([
      'admin',
    ]);
  });

  it('caches a verified key: a revocation by another process is seen once the cache entry expires', async () => {
    const db = new MemoryDatabase();
    const clock = new ManualClock();
    const keys = new ClientKeys(db, { clock, cacheTtlMs: 30_000 });
    const { key, record } = await keys.create({ name: 'a', appids: ['wx1'], scopes: ['token'] });
    let reads = 0;
    const get = db.keys.get.bind(db.keys);
    db.keys.get = (id) => {
      reads++;
      return get(id);
    };
    expect(await keys.verify(key)).not.toBeNull();
    expect(await keys.verify(key)).not.toBeNull();
    expect(reads).toBe(1);
    await db.keys.revoke(record.id, clock.now()); // "another process"
    clock.advance(29_000);
    expect(await keys.verify(key)).not.toBeNull();
    clock.advance(2_000);
    expect(await keys.verify(key)).toBeNull();
    expect(reads).toBe(2);
  });

  it('remembers unknown ids briefly, so junk keys do not hit the database per request', async () => {
    const db = new MemoryDatabase();
    const clock = new ManualClock();
    const keys = new ClientKeys(db, { clock, missTtlMs: 5000 });
    let reads = 0;
    const get = db.keys.get.bind(db.keys);
    db.keys.get = (id) => {
      reads++;
      return get(id);
    };
    const junk = `wxk_0000000000000000_${'a'.repeat(43)}`;
    await keys.verify(junk);
    await keys.verify(junk);
    expect(reads).toBe(1);
    clock.advance(5001);
    await keys.verify(junk);
    expect(reads).toBe(2);
  });

  it('answers from the cache without waiting, and only once the key is known', async () => {
    const keys = new ClientKeys(new MemoryDatabase());
    const { key, record } = await keys.create({ name: 'a', appids: ['wx1'], scopes: ['token'] });
    const wrong = `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
    expect(keys.verifyCached(key)).toBeUndefined(); // not read yet: the caller must verify()
    expect(keys.verifyCached('not-a-key')).toBeNull();
    expect((await keys.verify(key))?.id).toBe(record.id);
    expect(keys.verifyCached(key)?.id).toBe(record.id);
    // After a match, a wrong secret for the same id is still refused (both paths).
    expect(keys.verifyCached(wrong)).toBeNull();
    expect(await keys.verify(wrong)).toBeNull();
    expect(keys.verifyCached(key)?.id).toBe(record.id);
    await keys.revoke(record.id);
    expect(keys.verifyCached(key)).toBeUndefined();
    expect(await keys.verify(key)).toBeNull();
    expect(keys.verifyCached(key)).toBeNull();
  });

  it('hashes a secret once: later requests with the same key are compared to it directly', async () => {
    const keys = new ClientKeys(new MemoryDatabase());
    const { key } = await keys.create({ name: 'a', appids: ['wx1'], scopes: ['token'] });
    const wrong = `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
    const hashes = vi.spyOn(keyFormat, 'hashKeySecret');
    await keys.verify(key);
    await keys.verify(key);
    keys.verifyCached(key);
    expect(hashes).toHaveBeenCalledTimes(1);
    hashes.mockRestore();
    expect(await keys.verify(wrong)).toBeNull();
  });

  it('does the same work for a wrong secret whatever the id: unknown, recently used, never used, revoked', async () => {
    const keys = new ClientKeys(new MemoryDatabase());
    const make = async () => (await keys.create({ name: 'k', appids: ['wx1'], scopes: ['token'] })).key;
    const [used, unused, revoked] = [await make(), await make(), await make()];
    const wrong = (key: string) => `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
    const unknown = `wxk_0123456789abcdef_${used.slice(-43)}`;
    await keys.verify(used); // recently used: its secret is remembered
    await keys.verify(wrong(unused)); // read, never matched
    await keys.verify(revoked);
    await keys.revoke(revoked);
    await keys.verify(wrong(revoked));
    await keys.verify(unknown); // remembered as unknown
    const hashes = vi.spyOn(keyFormat, 'hashKeySecret');
    const compares = vi.spyOn(keyFormat, 'sameKeySecret');
    const work = (presented: string) => {
      hashes.mockClear();
      compares.mockClear();
      expect(keys.verifyCached(presented)).toBeNull();
      return {
        hashes: hashes.mock.calls.length,
        compares: compares.mock.calls.map(([a, b]) => [a.length, b.length]),
      };
    };
    const expected = {
      hashes: 1,
      compares: [
        [43, 43],
        [64, 64],
      ],
    };
    expect(work(wrong(used))).toEqual(expected);
    expect(work(wrong(unused))).toEqual(expected);
    expect(work(wrong(revoked))).toEqual(expected);
    expect(work(unknown)).toEqual(expected);
    // Only the right secret of a recently used key skips the hash (its holder learns nothing).
    hashes.mockClear();
    expect(keys.verifyCached(used)).not.toBeNull();
    expect(hashes).not.toHaveBeenCalled();
    hashes.mockRestore();
    compares.mockRestore();
  });

  it('compares secrets by content and length only', () => {
    const secret = 'a'.repeat(42);
    expect(keyFormat.sameKeySecret(`${secret}b`, `${secret}b`)).toBe(true);
    expect(keyFormat.sameKeySecret(`${secret}b`, `${secret}c`)).toBe(false);
    expect(keyFormat.sameKeySecret(`b${secret}`, `c${secret}`)).toBe(false);
    expect(keyFormat.sameKeySecret(secret, `${secret}b`)).toBe(false);
  });
});
