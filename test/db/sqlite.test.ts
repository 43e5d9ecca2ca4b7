import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase, SQLITE_DATABASE_MIGRATIONS, SqliteDatabase } from '../../src/db/index.js';
import { isWxhubError } from '../../src/errors/index.js';
import { migrateSqlite } from '../../src/sql/sqlite-migrations.js';
import { SQLITE_STORE_MIGRATIONS } from '../../src/store/sqlite-migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { describeDatabaseContract } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'wxhub-db-'));
const file = join(dir, 'contract.db');

describeDatabaseContract('sqlite', () => new SqliteDatabase({ path: file }), { shared: true });

describe('SqliteDatabase', () => {
  it('shares one file with the SqliteStore: both migrate, ids do not collide, WAL is on', async () => {
    const shared = join(dir, 'shared.db');
    const store = new SqliteStore(shared);
    const db = openDatabase(`sqlite:${shared}`);
    try {
      await store.compareAndSetCredential('k', 0, { value: 'v', expiresAt: 2, fetchedAt: 1 });
      await db.settings.putIfAbsent('a', 'b');
      const raw = new Sqlite(shared, { readonly: true });
      const ids = raw.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all();
      const mode = raw.pragma('journal_mode', { simple: true });
      raw.close();
      expect(ids).toEqual(
        [...SQLITE_DATABASE_MIGRATIONS, ...SQLITE_STORE_MIGRATIONS].map((m) => m.id).sort(),
      );
      expect(SQLITE_DATABASE_MIGRATIONS.every((m) => m.id.startsWith('db_'))).toBe(true);
      expect(mode).toBe('wal');
    } finally {
      await db.close();
      await store.close();
    }
  });

  it('keeps its records across reopening', async () => {
    const path = join(dir, 'reopen.db');
    const first = openDatabase(`sqlite:${path}`);
    await first.settings.putIfAbsent('k', 'v');
    await first.close();
    const second = openDatabase(`sqlite:${path}`);
    expect(await second.settings.get('k')).toBe('v');
    await second.close();
  });

  it('reports SQL the file refuses as a bug (WXHUB_ERR_INTERNAL), never as an outage', async () => {
    const path = join(dir, 'dropped.db');
    const db = new SqliteDatabase({ path });
    try {
      await db.settings.putIfAbsent('k', 'v');
      const raw = new Sqlite(path);
      raw.exec('DROP TABLE hub_settings');
      raw.close();
      const err = await db.settings.get('k').catch((e: unknown) => e);
      expect(isWxhubError(err, 'WXHUB_ERR_INTERNAL'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/SQLITE_ERROR: .*a bug, not an outage/);
      await db.ping();
    } finally {
      await db.close();
    }
  });

  it('reports a write lock held past busyTimeoutMs as WXHUB_ERR_DATABASE_UNAVAILABLE', async () => {
    const path = join(dir, 'locked.db');
    const db = new SqliteDatabase({ path, busyTimeoutMs: 200 });
    const holder = new Sqlite(path);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      const err = await db.settings.putIfAbsent('k', 'v').catch((e: unknown) => e);
      expect(isWxhubError(err, 'WXHUB_ERR_DATABASE_UNAVAILABLE'), String(err)).toBe(true);
      expect((err as Error).message).toContain('database is locked');
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      holder.exec('COMMIT');
      expect(await db.settings.putIfAbsent('k', 'v')).toBe('v');
    } finally {
      holder.close();
      await db.close();
    }
  });

  it('upgrades a file synced before live follower state: its followers stay followers', async () => {
    const path = join(dir, 'followers-upgrade.db');
    const raw = new Sqlite(path);
    const before = SQLITE_DATABASE_MIGRATIONS.filter((m) => m.id !== 'db_0006_follower_state');
    migrateSqlite(raw, before);
    raw
      .prepare(
        'INSERT INTO followers (appid, openid, unionid, subscribe_time, subscribe_scene, synced_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run('wx1', 'oOld', null, 5_000, 'ADD_SCENE_SEARCH', 10);
    raw.close();
    const db = new SqliteDatabase({ path });
    try {
      expect(await db.followers.state('wx1', 'oOld')).toMatchObject({
        subscribe: 1,
        qrScene: null,
        eventTime: null,
      });
      expect((await db.followers.page('wx1')).rows.map((r) => r.openid)).toEqual(['oOld']);
      expect(await db.followers.lastSyncedAt('wx1')).toBe(10);
    } finally {
      await db.close();
    }
  });

  it('reports an unusable path as WXHUB_ERR_DATABASE_UNAVAILABLE', () => {
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, 'x');
    let err: unknown;
    try {
      new SqliteDatabase({ path: join(notADir, 'x.db') });
    } catch (e) {
      err = e;
    }
    expect(isWxhubError(err, 'WXHUB_ERR_DATABASE_UNAVAILABLE')).toBe(true);
  });
});

describe('openDatabase', () => {
  it('opens each URL scheme and refuses others without echoing the URL', async () => {
    const memory = openDatabase('memory:');
    expect(memory.kind).toBe('memory');
    await memory.close();
    const sqlite = openDatabase('sqlite::memory:');
    expect(sqlite.kind).toBe('sqlite');
    await sqlite.close();
    const relative = openDatabase('sqlite:rel.db', { cwd: dir });
    expect((relative as SqliteDatabase).path).toBe(join(dir, 'rel.db'));
    await relative.close();
    expect(() => openDatabase('mysql://user:hunter2@db/x')).toThrow(/unsupported database scheme "mysql:"/);
    expect(() => openDatabase('mysql://user:hunter2@db/x')).not.toThrow(/hunter2/);
    expect(() => openDatabase('sqlite:')).toThrow(/needs a path/);
    expect(() => openDatabase('')).toThrow(/non-empty/);
  });
});
