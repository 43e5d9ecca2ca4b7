import pg from 'pg';
import { WxhubError } from '../errors/index.js';
import type { Migration } from '../sql/migrations.js';
import { PostgresConnection } from '../sql/postgres-connection.js';
import { STORE_ROLE } from '../sql/sql-failure.js';
import { ChannelWakers } from './channel-wakers.js';
import { CredentialListeners } from './credential-listeners.js';
import { POSTGRES_STORE_MIGRATIONS } from './postgres-migrations.js';
import type { CredentialInput, CredentialRecord, Store } from './store.js';
import { checkCompareAndSet, checkInteger, checkName, checkString, checkTtl } from './validate.js';

const DAY_MS = 86_400_000;
const SWEEP_EVERY_MS = 60_000;

export interface PostgresStoreOptions {
  /** `postgres://[user[:password]@]host[:port]/database[?...]` (or `postgresql://`). */
  readonly url: string;
  /** The schema holding the store's tables; created on first use. Default `wxhub`. */
  readonly schema?: string;
  /** pg pool options, applied over wxhub's (2 s connect timeout, 5 s query timeout, max 10). */
  readonly pool?: pg.PoolConfig;
  /** Steps applied after the store's own, for components that keep tables in the same schema. */
  readonly migrations?: readonly Migration[];
  /** Delay before the n-th attempt to reopen a lost LISTEN connection, ms. */
  readonly retryStrategy?: (attempt: number) => number;
}

/** Reconnect delays for the LISTEN connection: 100 ms doubling to a 5 s cap, forever. */
export function defaultPostgresRetryStrategy(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 5000);
}

/**
 * The Store on PostgreSQL, for fleets that already run one. Tables live in one schema, created
 * and migrated on first use under an advisory lock. CAS is a conditional INSERT/UPDATE that
 * notifies watchers with `pg_notify` in the same statement; leases, counters and once keys expire
 * by the database clock (`clock_timestamp()`), so hubs with skewed clocks agree.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  readonly #sql: PostgresConnection;
  readonly #retryStrategy: (attempt: number) => number;
  readonly #channel: string;
  readonly #statements: ReturnType<typeof statements>;
  readonly #listeners = new CredentialListeners();
  /** Other channels on the LISTEN connection: the gateway's event log. */
  readonly #channels = new ChannelWakers();
  #listening: Promise<void> | undefined;
  #listenClient: pg.Client | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectAttempt = 0;
  #lastSweep = 0;
  #sweeping: Promise<unknown> | undefined;

  constructor(urlOrOptions: string | PostgresStoreOptions) {
    const options: PostgresStoreOptions =
      typeof urlOrOptions === 'string' ? { url: urlOrOptions } : urlOrOptions;
    this.#sql = new PostgresConnection({
      url: options?.url,
      schema: options?.schema,
      pool: options?.pool,
      max: 10,
      migrations: [...POSTGRES_STORE_MIGRATIONS, ...(options?.migrations ?? [])],
      role: STORE_ROLE,
    });
    this.schema = this.#sql.schema;
    this.#retryStrategy = options.retryStrategy ?? defaultPostgresRetryStrategy;
    this.#channel = `${this.schema}_credentials`;
    this.#statements = statements(this.#sql.quoted);
  }

  async getCredential(key: string): Promise<CredentialRecord | null> {
    checkName('key', key);
    const { rows } = await this.#sql.query<CredentialRow>(this.#statements.getCredential, [key]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async compareAndSetCredential(
    key: string,
    expectedVersion: number,
    next: CredentialInput,
  ): Promise<CredentialRecord | null> {
    checkCompareAndSet(key, expectedVersion, next);
    const { rows } =
      expectedVersion === 0
        ? await this.#sql.query<{ version: string }>(this.#statements.casInsert, [
            key,
            next.value,
            next.expiresAt,
            next.fetchedAt,
            this.#channel,
          ])
        : await this.#sql.query<{ version: string }>(this.#statements.casUpdate, [
            key,
            next.value,
            next.expiresAt,
            next.fetchedAt,
            this.#channel,
            expectedVersion,
          ]);
    const row = rows[0];
    if (!row) return null;
    return {
      value: next.value,
      expiresAt: next.expiresAt,
      fetchedAt: next.fetchedAt,
      version: Number(row.version),
    };
  }

  async deleteCredential(key: string): Promise<void> {
    checkName('key', key);
    await this.#sql.query(this.#statements.deleteCredential, [key, this.#channel]);
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkName('name', name);
    checkName('owner', owner);
    checkTtl('ttlMs', ttlMs);
    const { rowCount } = await this.#sql.query(this.#statements.acquireLease, [name, owner, ttlMs]);
    this.#maybeSweep();
    return rowCount === 1;
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    checkName('name', name);
    checkName('owner', owner);
    const { rowCount } = await this.#sql.query(this.#statements.releaseLease, [name, owner]);
    return rowCount === 1;
  }

  async incrementCounter(name: string, window: string, by = 1, ttlMs = 2 * DAY_MS): Promise<number> {
    checkName('name', name);
    checkName('window', window);
    checkInteger('by', by);
    checkTtl('ttlMs', ttlMs);
    const { rows } = await this.#sql.query<{ value: string }>(this.#statements.increment, [
      name,
      window,
      by,
      ttlMs,
    ]);
    this.#maybeSweep();
    return Number(rows[0]?.value);
  }

  async getCounter(name: string, window: string): Promise<number> {
    checkName('name', name);
    checkName('window', window);
    const { rows } = await this.#sql.query<{ value: string }>(this.#statements.getCounter, [name, window]);
    return Number(rows[0]?.value ?? 0);
  }

  async putOnce(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkName('key', key);
    checkString('value', value);
    checkTtl('ttlMs', ttlMs);
    const { rowCount } = await this.#sql.query(this.#statements.putOnce, [key, value, ttlMs]);
    this.#maybeSweep();
    return rowCount === 1;
  }

  async takeOnce(key: string): Promise<string | null> {
    checkName('key', key);
    const { rows } = await this.#sql.query<{ value: string; live: boolean }>(this.#statements.takeOnce, [
      key,
    ]);
    const row = rows[0];
    return row?.live ? row.value : null;
  }

  async setDocument(key: string, value: string, ttlMs: number): Promise<void> {
    checkName('key', key);
    checkString('value', value);
    checkTtl('ttlMs', ttlMs);
    await this.#sql.query(this.#statements.setDocument, [key, value, ttlMs]);
    this.#maybeSweep();
  }

  async getDocument(key: string): Promise<string | null> {
    checkName('key', key);
    const { rows } = await this.#sql.query<{ value: string }>(this.#statements.getDocument, [key]);
    return rows[0]?.value ?? null;
  }

  async deleteDocument(key: string): Promise<void> {
    checkName('key', key);
    await this.#sql.query(this.#statements.deleteDocument, [key]);
  }

  /**
   * Listens with `LISTEN` on a dedicated connection, opened on the first call. Notifications are
   * sent at commit, so writes arrive within a round trip. When that connection is lost it is
   * reopened (see `retryStrategy`) and every stored credential key is reported once, since
   * notifications sent meanwhile are gone: listeners re-read, nothing is missed.
   */
  async watchCredentials(listener: (key: string) => void): Promise<() => void> {
    if (typeof listener !== 'function')
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'listener must be a function');
    await this.#listened();
    return this.#listeners.add(listener);
  }

  /**
   * @internal The store's pool, schema and error rule, for the gateway's event log, which keeps
   * its tables in the same schema. Not a public contract.
   */
  get connection(): PostgresConnection {
    this.#sql.checkOpen();
    return this.#sql;
  }

  /**
   * @internal Calls `wake` on each notification on `channel` (an identifier of `[a-z0-9_]`) and
   * after each reopening of the LISTEN connection, when notifications may have been missed;
   * shares that connection with `watchCredentials`. Resolves an unsubscribe function. Not a
   * public contract.
   */
  async listen(channel: string, wake: () => void): Promise<() => void> {
    if (!/^[a-z0-9_]{1,63}$/.test(channel))
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'channel must be 1-63 characters of [a-z0-9_]');
    await this.#listened();
    // Without a client, the reconnect under way listens to every channel, this one included.
    return this.#channels.add(channel, wake, async () => {
      try {
        await this.#listenClient?.query(`LISTEN "${channel}"`);
      } catch (err) {
        throw this.#sql.error(err);
      }
    });
  }

  async close(): Promise<void> {
    if (this.#sql.closed) return;
    this.#listeners.clear();
    this.#channels.clear();
    clearTimeout(this.#reconnectTimer);
    const client = this.#listenClient;
    this.#listenClient = undefined;
    await this.#sql.close(client?.end(), this.#sweeping);
  }

  async #listened(): Promise<void> {
    this.#sql.checkOpen();
    this.#listening ??= this.#listen().catch((err) => {
      this.#listening = undefined;
      throw this.#sql.error(err);
    });
    await this.#listening;
  }

  async #listen(): Promise<void> {
    await this.#sql.migrated();
    const client = new pg.Client(this.#sql.clientConfig);
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === this.#channel) {
        if (msg.payload) this.#listeners.emit(msg.payload);
      } else this.#channels.wake(msg.channel);
    });
    try {
      await client.connect();
      for (const channel of [this.#channel, ...this.#channels.channels])
        await client.query(`LISTEN "${channel}"`);
    } catch (err) {
      client.end().catch(() => undefined);
      throw err;
    }
    if (this.#sql.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#listenClient = client;
  }

  #lost(client: pg.Client, _err?: Error): void {
    if (this.#listenClient !== client) return;
    this.#listenClient = undefined;
    client.end().catch(() => undefined);
    if (!this.#sql.closed) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delay = this.#retryStrategy(++this.#reconnectAttempt);
    this.#reconnectTimer = setTimeout(async () => {
      this.#reconnectTimer = undefined;
      if (this.#sql.closed) return;
      try {
        await this.#listen();
        this.#reconnectAttempt = 0;
        await this.#resync();
      } catch {
        if (!this.#sql.closed && !this.#listenClient) this.#scheduleReconnect();
      }
    }, delay);
    this.#reconnectTimer.unref();
  }

  /**
   * Reports every stored credential key and wakes every other channel: the LISTEN connection was
   * away and may have missed notifications.
   */
  async #resync(): Promise<void> {
    this.#channels.wakeAll();
    const { rows } = await this.#sql.query<{ key: string }>(this.#statements.allKeys, []);
    for (const { key } of rows) this.#listeners.emit(key);
  }

  /** Drops expired leases, counters and once keys at most once a minute, in the background. */
  #maybeSweep(): void {
    const now = Date.now();
    if (now - this.#lastSweep < SWEEP_EVERY_MS || this.#sql.closed) return;
    this.#lastSweep = now;
    this.#sweeping = this.#sql.pool.query(this.#statements.sweep).catch(() => undefined);
  }
}

interface CredentialRow {
  value: string;
  expires_at: string;
  fetched_at: string;
  version: string;
}

function toRecord(row: CredentialRow): CredentialRecord {
  return {
    value: row.value,
    expiresAt: Number(row.expires_at),
    fetchedAt: Number(row.fetched_at),
    version: Number(row.version),
  };
}

/** The store's SQL with the (validated, quoted) schema filled in. */
function statements(s: string) {
  const expiry = (param: string) => `clock_timestamp() + ${param}::float8 * interval '1 millisecond'`;
  return {
    getCredential: `SELECT value, expires_at, fetched_at, version FROM ${s}.credentials WHERE key = $1`,
    allKeys: `SELECT key FROM ${s}.credentials`,
    casInsert: `
      WITH w AS (
        INSERT INTO ${s}.credentials (key, value, expires_at, fetched_at, version)
        VALUES ($1, $2, $3, $4, 1)
        ON CONFLICT (key) DO NOTHING
        RETURNING version
      )
      SELECT version, pg_notify($5, $1) FROM w`,
    casUpdate: `
      WITH w AS (
        UPDATE ${s}.credentials SET value = $2, expires_at = $3, fetched_at = $4, version = version + 1
        WHERE key = $1 AND version = $6
        RETURNING version
      )
      SELECT version, pg_notify($5, $1) FROM w`,
    deleteCredential: `
      WITH d AS (DELETE FROM ${s}.credentials WHERE key = $1 RETURNING key)
      SELECT pg_notify($2, key) FROM d`,
    acquireLease: `
      INSERT INTO ${s}.leases AS t (name, owner, expires_at) VALUES ($1, $2, ${expiry('$3')})
      ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
      WHERE t.expires_at <= clock_timestamp() OR t.owner = EXCLUDED.owner`,
    releaseLease: `DELETE FROM ${s}.leases WHERE name = $1 AND owner = $2 AND expires_at > clock_timestamp()`,
    increment: `
      INSERT INTO ${s}.counters AS t (name, win, value, expires_at) VALUES ($1, $2, $3, ${expiry('$4')})
      ON CONFLICT (name, win) DO UPDATE SET
        value = CASE WHEN t.expires_at <= clock_timestamp() THEN EXCLUDED.value ELSE t.value + EXCLUDED.value END,
        expires_at = EXCLUDED.expires_at
      RETURNING value`,
    getCounter: `SELECT value FROM ${s}.counters WHERE name = $1 AND win = $2 AND expires_at > clock_timestamp()`,
    putOnce: `
      INSERT INTO ${s}.once_values AS t (key, value, expires_at) VALUES ($1, $2, ${expiry('$3')})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
      WHERE t.expires_at <= clock_timestamp()`,
    takeOnce: `DELETE FROM ${s}.once_values WHERE key = $1 RETURNING value, expires_at > clock_timestamp() AS live`,
    setDocument: `
      INSERT INTO ${s}.once_values (key, value, expires_at) VALUES ($1, $2, ${expiry('$3')})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
    getDocument: `SELECT value FROM ${s}.once_values WHERE key = $1 AND expires_at > clock_timestamp()`,
    deleteDocument: `DELETE FROM ${s}.once_values WHERE key = $1`,
    sweep: `
      DELETE FROM ${s}.leases WHERE expires_at <= clock_timestamp();
      DELETE FROM ${s}.counters WHERE expires_at <= clock_timestamp();
      DELETE FROM ${s}.once_values WHERE expires_at <= clock_timestamp();`,
  };
}
