import { DATABASE_ROLE } from '../../sql/sql-failure.js';
import { SqliteConnection } from '../../sql/sqlite-connection.js';
import type { AccountTable, ClientKeyTable, Database, SettingsTable } from '../database.js';
import type { FollowerTable, IdentityTable, UserTable } from '../people.js';
import { sqliteAccountTable } from './sqlite-accounts.js';
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
 * Runs synchronous SQLite work for a table: retried on a timer while another process holds the
 * write lock (the event loop keeps running), driver errors as WxhubError.
 */
export type SqliteRun = <T>(fn: () => T) => Promise<T>;

/**
 * The Database in one SQLite file (WAL), the embedded default. Several processes (a few hubs on
 * one machine, the `wxhub keys` command beside a running hub) share the file safely; a lock held
 * by another process delays only the calls that need it (see SqliteConnection).
 */
export class SqliteDatabase implements Database {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly keys: ClientKeyTable;
  readonly settings: SettingsTable;
  readonly accounts: AccountTable;
  readonly users: UserTable;
  readonly identities: IdentityTable;
  readonly followers: FollowerTable;
  readonly #sql: SqliteConnection;

  constructor(options: SqliteDatabaseOptions) {
    this.#sql = new SqliteConnection({
      path: options.path,
      busyTimeoutMs: options.busyTimeoutMs ?? 5000,
      migrations: SQLITE_DATABASE_MIGRATIONS,
      role: DATABASE_ROLE,
    });
    this.path = this.#sql.path;
    const db = this.#sql.db;
    const run: SqliteRun = (fn) => this.#sql.run(fn);
    this.keys = sqliteKeyTable(db, run);
    this.settings = sqliteSettingsTable(db, run);
    this.accounts = sqliteAccountTable(db, run);
    const people = sqlitePeople(db, run);
    this.users = people.users;
    this.identities = people.identities;
    this.followers = people.followers;
  }

  async ping(): Promise<void> {
    await this.#sql.run(() => this.#sql.db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    this.#sql.close();
  }
}
