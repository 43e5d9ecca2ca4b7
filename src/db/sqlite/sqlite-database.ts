import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { retryWhileBusy } from '../../store/sqlite-busy.js';
import { migrateSqlite } from '../../store/sqlite-migrations.js';
import type { ClientKeyTable, Database, SettingsTable } from '../database.js';
import { databaseClosed, databaseUnavailable } from '../db-error.js';
import type { FollowerTable, IdentityTable, UserTable } from '../people.js';
import { sqliteKeyTable } from './sqlite-keys.js';
import { SQLITE_DATABASE_MIGRATIONS } from './sqlite-migrations.js';
import { sqlitePeople } from './sqlite-people.js';
import { sqliteSettingsTable } from './sqlite-settings.js';

export interface SqliteDatabaseOptions {
  /** The database file (may be the SqliteStore's); the parent directory is created. */
  readonly path: string;
  /** How long a write waits for another process's write lock, ms. Default 5000. */
  readonly busyTimeoutMs?: number;
}

/**
 * The Database in one SQLite file (WAL), the embedded default. Several processes (a few hubs on
 * one machine, the `wxhub keys` command beside a running hub) share the file safely.
 */
export class SqliteDatabase implements Database {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly keys: ClientKeyTable;
  readonly settings: SettingsTable;
  readonly users: UserTable;
  readonly identities: IdentityTable;
  readonly followers: FollowerTable;
  readonly #db: BetterSqlite3.Database;
  #closed = false;

  constructor(options: SqliteDatabaseOptions) {
    this.path = options.path === ':memory:' ? ':memory:' : resolve(options.path);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    let db: BetterSqlite3.Database | undefined;
    try {
      if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
      db = new BetterSqlite3(this.path);
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      const handle = db;
      retryWhileBusy(busyTimeoutMs, () => handle.pragma('journal_mode = WAL'));
      db.pragma('synchronous = NORMAL');
      migrateSqlite(db, SQLITE_DATABASE_MIGRATIONS);
    } catch (err) {
      db?.close();
      throw databaseUnavailable('sqlite', this.path, err);
    }
    this.#db = db;
    const run = <T>(fn: () => T): T => {
      if (this.#closed) throw databaseClosed('sqlite', this.path);
      try {
        return fn();
      } catch (err) {
        if ((err as { name?: string }).name === 'WxhubError') throw err;
        throw databaseUnavailable('sqlite', this.path, err);
      }
    };
    this.keys = sqliteKeyTable(db, run);
    this.settings = sqliteSettingsTable(db, run);
    const people = sqlitePeople(db, run);
    this.users = people.users;
    this.identities = people.identities;
    this.followers = people.followers;
  }

  async ping(): Promise<void> {
    if (this.#closed) throw databaseClosed('sqlite', this.path);
    try {
      this.#db.prepare('SELECT 1').get();
    } catch (err) {
      throw databaseUnavailable('sqlite', this.path, err);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
