import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { SYNC_BUSY_MS } from '../../src/sql/sqlite-busy.js';
import { migrateSqlite, SQLITE_STORE_MIGRATIONS, SqliteStore } from '../../src/store/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { describeStoreContract } from './contract.js';
import { eventually } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'wxhub-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const contractPath = join(dir, 'nested', 'deeper', 'contract.db');
describeStoreContract('sqlite', () => new SqliteStore({ path: contractPath, watchIntervalMs: 100 }), {
  shared: true,
  watchBoundMs: 300,
});

describe('SqliteStore', () => {
  it('creates the parent directory and opens in WAL mode; SQLite itself waits for a lock only briefly', async () => {
    const path = join(dir, 'a', 'b', 'pragmas.db');
    const store = new SqliteStore(path);
    try {
      expect(store.path).toBe(path);
      const db = store.database;
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      // Longer waits happen between attempts, on a timer (see sqlite-lock-wait.test.ts).
      expect(db.pragma('busy_timeout', { simple: true })).toBe(SYNC_BUSY_MS);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('records its migrations once, and applies extra ones in order on the next open', async () => {
    const path = join(dir, 'migrations.db');
    const first = new SqliteStore(path);
    const ids = () =>
      first.database.prepare('SELECT id FROM schema_migrations ORDER BY rowid').pluck().all() as string[];
    expect(ids()).toEqual(SQLITE_STORE_MIGRATIONS.map((m) => m.id));
    const extra = [
      { id: 'users_0001', sql: 'CREATE TABLE users (id TEXT PRIMARY KEY)' },
      { id: 'users_0002', sql: 'ALTER TABLE users ADD COLUMN nickname TEXT' },
    ];
    const second = new SqliteStore({ path, migrations: extra });
    const third = new SqliteStore({ path, migrations: extra });
    try {
      expect(ids()).toEqual([...SQLITE_STORE_MIGRATIONS.map((m) => m.id), 'users_0001', 'users_0002']);
      third.database.prepare('INSERT INTO users (id, nickname) VALUES (?, ?)').run('u1', 'n');
      expect(migrateSqlite(third.database, extra)).toEqual([]);
      expect(() => migrateSqlite(third.database, [extra[0]!, extra[0]!])).toThrow(/duplicated/);
    } finally {
      await Promise.all([first.close(), second.close(), third.close()]);
    }
  });

  it('follows its injected clock and sweeps expired rows opportunistically', async () => {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: join(dir, 'clock.db'), clock });
    try {
      const count = (table: string) =>
        store.database.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      expect(await store.acquireLease('l', 'a', 1000)).toBe(true);
      expect(await store.putOnce('o', 'v', 1000)).toBe(true);
      expect(await store.incrementCounter('c', 'day', 2, 1000)).toBe(2);
      clock.advance(999);
      expect(await store.acquireLease('l', 'b', 1000)).toBe(false);
      clock.advance(1);
      expect(await store.getCounter('c', 'day')).toBe(0);
      expect(count('once_values')).toBe(1); // expired, ignored, not yet swept
      clock.advance(120_000);
      expect(await store.acquireLease('l2', 'a', 1000)).toBe(true); // a write triggers the sweep
      expect(count('once_values')).toBe(0);
      expect(count('counters')).toBe(0);
      expect(count('leases')).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('reports SQL the file refuses as a bug (WXHUB_ERR_INTERNAL), and a lock past the budget as unavailable', async () => {
    const path = join(dir, 'refused.db');
    const store = new SqliteStore({ path, busyTimeoutMs: 200 });
    const other = new SqliteStore(path);
    try {
      other.database.exec('DROP TABLE once_values');
      const bug = await store.putOnce('k', 'v', 1000).catch((e: unknown) => e);
      expect(isWxhubError(bug, 'WXHUB_ERR_INTERNAL'), String(bug)).toBe(true);
      expect((bug as Error).message).toMatch(/SQLITE_ERROR: .*a bug, not an outage/);
      other.database.exec('BEGIN IMMEDIATE');
      const locked = await store.acquireLease('l', 'o', 1000).catch((e: unknown) => e);
      expect(isWxhubError(locked, 'WXHUB_ERR_STORE_UNAVAILABLE'), String(locked)).toBe(true);
      other.database.exec('COMMIT');
      expect(await store.acquireLease('l', 'o', 1000)).toBe(true);
    } finally {
      await Promise.all([store.close(), other.close()]);
    }
  });

  it('rejects calls after close with WXHUB_ERR_STORE_UNAVAILABLE', async () => {
    const store = new SqliteStore(join(dir, 'closed.db'));
    await store.close();
    await expect(store.getCredential('k')).rejects.toMatchObject({ code: 'WXHUB_ERR_STORE_UNAVAILABLE' });
  });

  it('fails with WXHUB_ERR_STORE_UNAVAILABLE when the file cannot be opened', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a directory');
    let caught: unknown;
    try {
      new SqliteStore(join(file, 'store.db'));
    } catch (err) {
      caught = err;
    }
    expect(isWxhubError(caught, 'WXHUB_ERR_STORE_UNAVAILABLE')).toBe(true);
  });

  it('reports a write made by another connection with plain SQL within one poll', async () => {
    const path = join(dir, 'foreign.db');
    const store = new SqliteStore({ path, watchIntervalMs: 50 });
    const other = new SqliteStore(path);
    try {
      const seen: string[] = [];
      const unsubscribe = await store.watchCredentials((key) => seen.push(key));
      other.database
        .prepare(
          'INSERT INTO credentials (key, value, expires_at, fetched_at, version) VALUES (?, ?, ?, ?, 1)',
        )
        .run('raw', 'v', 1, 1);
      const start = performance.now();
      expect(await eventually(() => seen.length > 0, 5000)).toBe(true);
      const latency = performance.now() - start;
      expect(seen).toEqual(['raw']);
      // One poll (50 ms) plus a read; a poll that stopped would never get here.
      expect(latency).toBeLessThan(1000);
      unsubscribe();
    } finally {
      await Promise.all([store.close(), other.close()]);
    }
  });
});
