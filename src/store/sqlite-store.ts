import type Database from 'better-sqlite3';
import { WxhubError } from '../errors/index.js';
import type { Migration } from '../sql/migrations.js';
import { STORE_ROLE } from '../sql/sql-failure.js';
import { SqliteConnection } from '../sql/sqlite-connection.js';
import { type Clock, systemClock } from '../util/clock.js';
import { CredentialListeners } from './credential-listeners.js';
import { SQLITE_STORE_MIGRATIONS } from './sqlite-migrations.js';
import type { CredentialInput, CredentialRecord, Store } from './store.js';
import { checkCompareAndSet, checkInteger, checkName, checkString, checkTtl } from './validate.js';

const DAY_MS = 86_400_000;
const SWEEP_EVERY_MS = 60_000;

export interface SqliteStoreOptions {
  /** The database file; relative paths resolve against the cwd; the parent directory is created. */
  readonly path: string;
  /** The clock that decides lease, counter and once-key expiry. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * How long a call waits for another process's write lock before failing, ms. Default 5000. The
   * wait happens on a timer: only that call is delayed, never the event loop.
   */
  readonly busyTimeoutMs?: number;
  /**
   * How often `watchCredentials` polls `PRAGMA data_version`, ms. Default 100: a write by another
   * process reaches listeners within this interval plus one read of the credentials table.
   */
  readonly watchIntervalMs?: number;
  /** Steps applied after the store's own, for components that keep tables in the same file. */
  readonly migrations?: readonly Migration[];
}

interface CredentialRow {
  key: string;
  value: string;
  expires_at: number;
  fetched_at: number;
  version: number;
}

/**
 * The embedded Store: one SQLite file, shared safely by several processes on one machine. WAL
 * mode lets readers run beside the writer; every read-modify-write (CAS, lease, counter, once key)
 * is one `BEGIN IMMEDIATE` transaction, so processes queue on the write lock (up to
 * `busyTimeoutMs`, waiting on a timer so other callers keep running) instead of failing with
 * `SQLITE_BUSY`. Other processes' writes are detected by polling `PRAGMA data_version` (see
 * `watchIntervalMs`).
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** The absolute path of the database file (or `:memory:`). */
  readonly path: string;
  readonly #clock: Clock;
  readonly #watchIntervalMs: number;
  readonly #sql: SqliteConnection;
  readonly #listeners = new CredentialListeners();
  readonly #statements: ReturnType<typeof prepare>;
  readonly #tx: ReturnType<typeof transactions>;
  #lastSweep = 0;
  #timer: NodeJS.Timeout | undefined;
  #dataVersion = 0;
  /** key → signature of the record, as last seen by the watcher. */
  #snapshot = new Map<string, string>();

  constructor(pathOrOptions: string | SqliteStoreOptions) {
    const options = typeof pathOrOptions === 'string' ? { path: pathOrOptions } : (pathOrOptions ?? {});
    checkName('path', (options as Partial<SqliteStoreOptions>).path);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    const watchIntervalMs = options.watchIntervalMs ?? 100;
    checkInteger('busyTimeoutMs', busyTimeoutMs, 0);
    checkTtl('watchIntervalMs', watchIntervalMs);
    this.#clock = options.clock ?? systemClock;
    this.#watchIntervalMs = watchIntervalMs;
    this.#sql = new SqliteConnection({
      path: options.path,
      busyTimeoutMs,
      migrations: [...SQLITE_STORE_MIGRATIONS, ...(options.migrations ?? [])],
      foreignKeys: true,
      role: STORE_ROLE,
    });
    this.path = this.#sql.path;
    try {
      this.#statements = prepare(this.#sql.db);
      this.#tx = transactions(this.#sql.db, this.#statements);
    } catch (err) {
      this.#sql.close();
      throw this.#sql.error(err);
    }
  }

  /** The underlying connection, for components that keep their own tables in the same file. */
  get database(): Database.Database {
    this.#sql.checkOpen();
    return this.#sql.db;
  }

  /**
   * @internal The store's SQL connection (busy waits on a timer, error mapping), for the
   * gateway's event log, which keeps its tables in the same file. Not a public contract.
   */
  get connection(): SqliteConnection {
    this.#sql.checkOpen();
    return this.#sql;
  }

  async getCredential(key: string): Promise<CredentialRecord | null> {
    checkName('key', key);
    return await this.#sql.run(() => {
      const row = this.#statements.getCredential.get(key) as CredentialRow | undefined;
      return row ? toRecord(row) : null;
    });
  }

  async compareAndSetCredential(
    key: string,
    expectedVersion: number,
    next: CredentialInput,
  ): Promise<CredentialRecord | null> {
    checkCompareAndSet(key, expectedVersion, next);
    const written = await this.#sql.run(() => this.#tx.cas.immediate(key, expectedVersion, next));
    if (!written) return null;
    const record: CredentialRecord = {
      value: next.value,
      expiresAt: next.expiresAt,
      fetchedAt: next.fetchedAt,
      version: expectedVersion + 1,
    };
    this.#localChange(key, record);
    return record;
  }

  async deleteCredential(key: string): Promise<void> {
    checkName('key', key);
    const deleted = await this.#sql.run(() => this.#statements.deleteCredential.run(key).changes === 1);
    if (deleted) this.#localChange(key, null);
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkName('name', name);
    checkName('owner', owner);
    checkTtl('ttlMs', ttlMs);
    const taken = await this.#sql.run(() => {
      const now = this.#clock.now();
      return this.#tx.lease.immediate(name, owner, now + ttlMs, now);
    });
    this.#maybeSweep();
    return taken;
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    checkName('name', name);
    checkName('owner', owner);
    return await this.#sql.run(
      () => this.#statements.releaseLease.run(name, owner, this.#clock.now()).changes === 1,
    );
  }

  async incrementCounter(name: string, window: string, by = 1, ttlMs = 2 * DAY_MS): Promise<number> {
    checkName('name', name);
    checkName('window', window);
    checkInteger('by', by);
    checkTtl('ttlMs', ttlMs);
    const total = await this.#sql.run(() => {
      const now = this.#clock.now();
      return this.#tx.increment.immediate(name, window, by, now + ttlMs, now);
    });
    this.#maybeSweep();
    return total;
  }

  async getCounter(name: string, window: string): Promise<number> {
    checkName('name', name);
    checkName('window', window);
    return await this.#sql.run(() =>
      Number(this.#statements.getCounter.get(name, window, this.#clock.now()) ?? 0),
    );
  }

  async putOnce(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkName('key', key);
    checkString('value', value);
    checkTtl('ttlMs', ttlMs);
    const put = await this.#sql.run(() => {
      const now = this.#clock.now();
      return this.#tx.putOnce.immediate(key, value, now + ttlMs, now);
    });
    this.#maybeSweep();
    return put;
  }

  async takeOnce(key: string): Promise<string | null> {
    checkName('key', key);
    return await this.#sql.run(() => this.#tx.takeOnce.immediate(key, this.#clock.now()));
  }

  async setDocument(key: string, value: string, ttlMs: number): Promise<void> {
    checkName('key', key);
    checkString('value', value);
    checkTtl('ttlMs', ttlMs);
    await this.#sql.run(() => this.#statements.setDocument.run(key, value, this.#clock.now() + ttlMs));
    this.#maybeSweep();
  }

  async getDocument(key: string): Promise<string | null> {
    checkName('key', key);
    return await this.#sql.run(
      () => (this.#statements.getDocument.get(key, this.#clock.now()) as string | undefined) ?? null,
    );
  }

  async deleteDocument(key: string): Promise<void> {
    checkName('key', key);
    await this.#sql.run(() => this.#statements.deleteDocument.run(key));
  }

  /**
   * Listens for credential writes. Writes through this instance are reported at once; writes by
   * other connections (other processes, other instances) within `watchIntervalMs`.
   */
  async watchCredentials(listener: (key: string) => void): Promise<() => void> {
    if (typeof listener !== 'function')
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'listener must be a function');
    await this.#sql.run(() => {
      if (this.#timer) return;
      this.#dataVersion = this.#readDataVersion();
      this.#snapshot = this.#readSnapshot();
      this.#timer = setInterval(() => this.#poll(), this.#watchIntervalMs);
      this.#timer.unref();
    });
    return this.#listeners.add(listener, () => this.#stopWatching());
  }

  async close(): Promise<void> {
    if (this.#sql.closed) return;
    this.#stopWatching();
    this.#listeners.clear();
    this.#sql.close();
  }

  #localChange(key: string, record: CredentialRecord | null): void {
    if (this.#timer) {
      if (record) this.#snapshot.set(key, signature(record.version, record.value, record.expiresAt));
      else this.#snapshot.delete(key);
    }
    this.#listeners.emit(key);
  }

  #readDataVersion(): number {
    return Number(this.#sql.db.pragma('data_version', { simple: true }));
  }

  #readSnapshot(): Map<string, string> {
    const rows = this.#statements.allCredentials.all() as CredentialRow[];
    return new Map(rows.map((r) => [r.key, signature(r.version, r.value, r.expires_at)]));
  }

  #poll(): void {
    if (this.#sql.closed) return;
    let changed: string[];
    try {
      const version = this.#readDataVersion();
      if (version === this.#dataVersion) return;
      const next = this.#readSnapshot();
      this.#dataVersion = version;
      changed = [];
      for (const [key, sig] of next) if (this.#snapshot.get(key) !== sig) changed.push(key);
      for (const key of this.#snapshot.keys()) if (!next.has(key)) changed.push(key);
      this.#snapshot = next;
    } catch {
      return; // a locked or busy file: the next tick tries again, data_version still differs
    }
    for (const key of changed) this.#listeners.emit(key);
  }

  #stopWatching(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#snapshot.clear();
  }

  /** Drops expired leases, counters and once keys, at most once a minute, never failing a call. */
  #maybeSweep(now = this.#clock.now()): void {
    if (now - this.#lastSweep < SWEEP_EVERY_MS || this.#sql.closed) return;
    this.#lastSweep = now;
    try {
      this.#tx.sweep.immediate(now);
    } catch {
      // best effort: expired rows are ignored on read anyway
    }
  }
}

function signature(version: number, value: string, expiresAt: number): string {
  return `${version}:${expiresAt}:${value}`;
}

function toRecord(row: CredentialRow): CredentialRecord {
  return { value: row.value, expiresAt: row.expires_at, fetchedAt: row.fetched_at, version: row.version };
}

function prepare(db: Database.Database) {
  return {
    getCredential: db.prepare(
      'SELECT key, value, expires_at, fetched_at, version FROM credentials WHERE key = ?',
    ),
    allCredentials: db.prepare('SELECT key, value, expires_at, version FROM credentials'),
    insertCredential: db.prepare(
      `INSERT INTO credentials (key, value, expires_at, fetched_at, version) VALUES (?, ?, ?, ?, 1)
       ON CONFLICT (key) DO NOTHING`,
    ),
    updateCredential: db.prepare(
      `UPDATE credentials SET value = ?, expires_at = ?, fetched_at = ?, version = version + 1
       WHERE key = ? AND version = ?`,
    ),
    deleteCredential: db.prepare('DELETE FROM credentials WHERE key = ?'),
    acquireLease: db.prepare(
      `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE leases.expires_at <= ? OR leases.owner = excluded.owner`,
    ),
    releaseLease: db.prepare('DELETE FROM leases WHERE name = ? AND owner = ? AND expires_at > ?'),
    increment: db
      .prepare(
        `INSERT INTO counters (name, win, value, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name, win) DO UPDATE SET
         value = CASE WHEN counters.expires_at <= ? THEN excluded.value ELSE counters.value + excluded.value END,
         expires_at = excluded.expires_at
       RETURNING value`,
      )
      .pluck(),
    getCounter: db
      .prepare('SELECT value FROM counters WHERE name = ? AND win = ? AND expires_at > ?')
      .pluck(),
    putOnce: db.prepare(
      `INSERT INTO once_values (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
       WHERE once_values.expires_at <= ?`,
    ),
    takeOnce: db.prepare('DELETE FROM once_values WHERE key = ? RETURNING value, expires_at'),
    setDocument: db.prepare(
      `INSERT INTO once_values (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    ),
    getDocument: db.prepare('SELECT value FROM once_values WHERE key = ? AND expires_at > ?').pluck(),
    deleteDocument: db.prepare('DELETE FROM once_values WHERE key = ?'),
    sweepLeases: db.prepare('DELETE FROM leases WHERE expires_at <= ?'),
    sweepCounters: db.prepare('DELETE FROM counters WHERE expires_at <= ?'),
    sweepOnce: db.prepare('DELETE FROM once_values WHERE expires_at <= ?'),
  };
}

/** Each read-modify-write as a transaction, run with `.immediate()` so it takes the write lock first. */
function transactions(db: Database.Database, sql: ReturnType<typeof prepare>) {
  return {
    cas: db.transaction((key: string, expected: number, next: CredentialInput): boolean => {
      const result =
        expected === 0
          ? sql.insertCredential.run(key, next.value, next.expiresAt, next.fetchedAt)
          : sql.updateCredential.run(next.value, next.expiresAt, next.fetchedAt, key, expected);
      return result.changes === 1;
    }),
    lease: db.transaction(
      (name: string, owner: string, expiresAt: number, now: number): boolean =>
        sql.acquireLease.run(name, owner, expiresAt, now).changes === 1,
    ),
    increment: db.transaction(
      (name: string, window: string, by: number, expiresAt: number, now: number): number =>
        Number(sql.increment.get(name, window, by, expiresAt, now)),
    ),
    putOnce: db.transaction(
      (key: string, value: string, expiresAt: number, now: number): boolean =>
        sql.putOnce.run(key, value, expiresAt, now).changes === 1,
    ),
    takeOnce: db.transaction((key: string, now: number): string | null => {
      const row = sql.takeOnce.get(key) as { value: string; expires_at: number } | undefined;
      return row && row.expires_at > now ? row.value : null;
    }),
    sweep: db.transaction((now: number): void => {
      sql.sweepLeases.run(now);
      sql.sweepCounters.run(now);
      sql.sweepOnce.run(now);
    }),
  };
}
