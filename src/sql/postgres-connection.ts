import pg from 'pg';
import { WxhubError } from '../errors/index.js';
import { checkUrlProtocol, redactUrlPassword, urlSecrets } from './connection-url.js';
import type { Migration } from './migrations.js';
import { migratePostgres } from './postgres-migrations.js';
import { SqlConnection } from './sql-connection.js';
import { classifyPostgresError, type SqlRole } from './sql-failure.js';

const SCHEMA = /^[a-z_][a-z0-9_]{0,47}$/;

/** A query on the migrated schema; driver errors come back as WxhubError (see `driverCode`). */
export type PgQuery = <R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values?: unknown[],
) => Promise<pg.QueryResult<R>>;

/** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
export type PgTransaction = <T>(fn: (query: PgQuery) => Promise<T>) => Promise<T>;

export interface PostgresConnectionOptions {
  /** `postgres://[user[:password]@]host[:port]/database[?...]` (or `postgresql://`). */
  readonly url: string;
  /** The schema holding the tables; created on first use. Default `wxhub`. */
  readonly schema?: string;
  /** pg pool options, applied over wxhub's defaults. */
  readonly pool?: pg.PoolConfig;
  /** wxhub's default pool size, before `pool` overrides it. */
  readonly max: number;
  /** Applied in order, once per instance, before the first query. */
  readonly migrations: readonly Migration[];
  /** Whose connection it is: decides the outage code and what messages call it. */
  readonly role: SqlRole;
}

/**
 * One PostgreSQL pool as the Store and the Database both use it: URL and schema checked at
 * construction, wxhub's pool defaults (2 s connect timeout, 5 s query timeout), the schema
 * migrated lazily on the first call (a failure, e.g. the database down, is retried by the next),
 * and one rule for errors: connection-class failures are the role's outage, SQL refused by the
 * server is a bug (see sql-failure); the URL's password is scrubbed from both.
 */
export class PostgresConnection extends SqlConnection {
  readonly schema: string;
  /** The schema as a quoted identifier, for SQL text. */
  readonly quoted: string;
  readonly pool: pg.Pool;
  /** The pool's connection settings without the pool-only ones, keepalive on: for a dedicated client (LISTEN). */
  readonly clientConfig: pg.ClientConfig;
  readonly #migrations: readonly Migration[];
  #migrating: Promise<void> | undefined;

  constructor(options: PostgresConnectionOptions) {
    checkUrlProtocol(options?.url, ['postgres:', 'postgresql:']);
    super(
      options.role,
      { backend: 'postgres', where: redactUrlPassword(options.url), secrets: urlSecrets(options.url) },
      classifyPostgresError,
    );
    this.schema = options.schema ?? 'wxhub';
    if (typeof this.schema !== 'string' || !SCHEMA.test(this.schema))
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        'schema must be 1-48 characters of [a-z0-9_], not starting with a digit',
      );
    this.quoted = `"${this.schema}"`;
    this.#migrations = options.migrations;
    const config: pg.PoolConfig = {
      connectionString: options.url,
      max: options.max,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 10_000,
      query_timeout: 5000,
      allowExitOnIdle: true,
      application_name: 'wxhub',
      ...options.pool,
    };
    const { max: _max, min: _min, idleTimeoutMillis: _idle, allowExitOnIdle: _exit, ...client } = config;
    this.clientConfig = { ...client, keepAlive: true };
    this.pool = new pg.Pool(config);
    // An idle client that loses its connection is dropped by the pool; without a listener the
    // error would crash the process.
    this.pool.on('error', () => undefined);
  }

  /** One query on the pool, after the migrations. */
  readonly query: PgQuery = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    this.checkOpen();
    try {
      await this.migrated();
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw this.error(err);
    }
  };

  /** Runs `fn` in one transaction on one pooled connection; a connection that failed to roll back is discarded. */
  readonly transaction: PgTransaction = async <T>(fn: (query: PgQuery) => Promise<T>): Promise<T> => {
    this.checkOpen();
    let client: pg.PoolClient;
    try {
      await this.migrated();
      client = await this.pool.connect();
    } catch (err) {
      throw this.error(err);
    }
    const query: PgQuery = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
      try {
        return await client.query<R>(text, values);
      } catch (err) {
        throw this.error(err);
      }
    };
    let broken: Error | undefined;
    try {
      await query('BEGIN');
      const result = await fn(query);
      await query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw err;
    } finally {
      client.release(broken);
    }
  };

  /** Runs the migrations once per instance; a failure (database down) is retried by the next call. */
  migrated(): Promise<void> {
    this.#migrating ??= (async () => {
      const client = await this.pool.connect();
      let failure: Error | undefined;
      try {
        await migratePostgres(client, this.schema, this.#migrations);
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
        throw err;
      } finally {
        client.release(failure);
      }
    })().catch((err) => {
      this.#migrating = undefined;
      throw err;
    });
    return this.#migrating;
  }

  /** Refuses calls from now on, lets `settle` (work already under way) finish, then ends the pool. */
  async close(...settle: (Promise<unknown> | undefined)[]): Promise<void> {
    if (!this.markClosed()) return;
    await Promise.allSettled(settle);
    await this.pool.end().catch(() => undefined);
  }
}
