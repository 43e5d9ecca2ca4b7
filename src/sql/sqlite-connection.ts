import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Migration } from './migrations.js';
import { SqlConnection } from './sql-connection.js';
import { classifySqliteError, type SqlRole } from './sql-failure.js';
import { retryWhileBusy, retryWhileBusySync, SYNC_BUSY_MS } from './sqlite-busy.js';
import { migrateSqlite } from './sqlite-migrations.js';

export interface SqliteConnectionOptions {
  /** The database file (relative to the cwd) or `:memory:`; the parent directory is created. */
  readonly path: string;
  /** How long a call may wait for another process's write lock in all, ms. */
  readonly busyTimeoutMs: number;
  /** Applied at open, in order, by `migrateSqlite`. */
  readonly migrations: readonly Migration[];
  /** Enforce `REFERENCES` constraints (`PRAGMA foreign_keys`). Default false, SQLite's own. */
  readonly foreignKeys?: boolean;
  /** Whose connection it is: decides the outage code and what messages call it. */
  readonly role: SqlRole;
}

/**
 * One SQLite connection as the Store and the Database both open it: WAL (readers beside the
 * writer), `synchronous = NORMAL`, migrated at open, and every call run through `run`, which
 * waits for other processes' write locks on a timer rather than inside SQLite (see sqlite-busy).
 * Opening is synchronous and may wait up to `busyTimeoutMs` for a lock: it happens at start.
 */
export class SqliteConnection extends SqlConnection {
  /** The absolute path of the file, or `:memory:`. */
  readonly path: string;
  readonly db: Database.Database;
  readonly #busyTimeoutMs: number;

  constructor(options: SqliteConnectionOptions) {
    const path = options.path === ':memory:' ? ':memory:' : resolve(options.path);
    super(options.role, { backend: 'sqlite', where: path, secrets: [] }, classifySqliteError);
    this.path = path;
    this.#busyTimeoutMs = options.busyTimeoutMs;
    let db: Database.Database | undefined;
    try {
      if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
      db = new Database(this.path);
      const handle = db;
      // Opening may wait the whole budget inside SQLite (a constructor cannot await); calls after
      // it do not wait inside SQLite at all (SYNC_BUSY_MS) but on a timer, in `run`.
      db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
      retryWhileBusySync(options.busyTimeoutMs, () => handle.pragma('journal_mode = WAL'));
      db.pragma('synchronous = NORMAL');
      if (options.foreignKeys) db.pragma('foreign_keys = ON');
      migrateSqlite(db, options.migrations);
      db.pragma(`busy_timeout = ${Math.min(SYNC_BUSY_MS, options.busyTimeoutMs)}`);
    } catch (err) {
      db?.close();
      throw this.error(err);
    }
    this.db = db;
  }

  /**
   * Runs `fn` (synchronous SQLite work, repeatable after a busy answer: one statement or an
   * `.immediate()` transaction), retrying on a timer while another process holds the write lock,
   * up to `busyTimeoutMs`. Driver errors come back as WxhubError.
   */
  async run<T>(fn: () => T): Promise<T> {
    try {
      return await retryWhileBusy(this.#busyTimeoutMs, fn, () => this.checkOpen());
    } catch (err) {
      throw this.error(err);
    }
  }

  close(): void {
    if (this.markClosed()) this.db.close();
  }
}
