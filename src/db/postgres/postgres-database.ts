import pg from 'pg';
import { isWxhubError, WxhubError } from '../../errors/index.js';
import { migratePostgres } from '../../store/postgres-migrations.js';
import { redactUrlPassword, urlPassword } from '../../store/store-error.js';
import type { ClientKeyTable, Database, SettingsTable } from '../database.js';
import { databaseClosed, databaseUnavailable } from '../db-error.js';
import type { FollowerTable, IdentityTable, UserTable } from '../people.js';
import { postgresKeyTable } from './postgres-keys.js';
import { POSTGRES_DATABASE_MIGRATIONS } from './postgres-migrations.js';
import { postgresPeople } from './postgres-people.js';
import { postgresSettingsTable } from './postgres-settings.js';

const SCHEMA = /^[a-z_][a-z0-9_]{0,47}$/;

export interface PostgresDatabaseOptions {
  /** `postgres://[user[:password]@]host[:port]/database` (or `postgresql://`). */
  readonly url: string;
  /** The schema holding the tables (may be the PostgresStore's); created on first use. Default `wxhub`. */
  readonly schema?: string;
  /** pg pool options, applied over wxhub's (2 s connect timeout, 5 s query timeout, max 5). */
  readonly pool?: pg.PoolConfig;
}

/** A query on the migrated schema; driver errors come back as WxhubError (SQLSTATE in `pgCode`). */
export type PgQuery = <R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[],
) => Promise<pg.QueryResult<R>>;

/** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
export type PgTransaction = <T>(fn: (query: PgQuery) => Promise<T>) => Promise<T>;

/**
 * The Database on PostgreSQL, for fleets (and, later, users at scale). The schema is migrated on
 * first use under the runner's advisory lock, so hubs starting together migrate once.
 */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  readonly keys: ClientKeyTable;
  readonly settings: SettingsTable;
  readonly users: UserTable;
  readonly identities: IdentityTable;
  readonly followers: FollowerTable;
  readonly #pool: pg.Pool;
  readonly #where: string;
  readonly #secret: string | undefined;
  #migrating: Promise<void> | undefined;
  #closed = false;

  constructor(options: PostgresDatabaseOptions) {
    let protocol = '';
    try {
      protocol = new URL(options.url).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:')
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'database url must be postgres:// or postgresql://');
    this.schema = options.schema ?? 'wxhub';
    if (!SCHEMA.test(this.schema))
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        'schema must be 1-48 of [a-z0-9_], not starting with a digit',
      );
    this.#where = redactUrlPassword(options.url);
    this.#secret = urlPassword(options.url);
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: 5,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 10_000,
      query_timeout: 5000,
      allowExitOnIdle: true,
      application_name: 'wxhub',
      ...options.pool,
    });
    // An idle client losing its connection must not crash the process.
    this.#pool.on('error', () => undefined);
    const quoted = `"${this.schema}"`;
    const query: PgQuery = (text, values) => this.#query(text, values);
    this.keys = postgresKeyTable(query, quoted);
    this.settings = postgresSettingsTable(query, quoted);
    const transaction: PgTransaction = (fn) => this.#transaction(fn);
    const people = postgresPeople(query, transaction, quoted);
    this.users = people.users;
    this.identities = people.identities;
    this.followers = people.followers;
  }

  async ping(): Promise<void> {
    await this.#query('SELECT 1', []);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end().catch(() => undefined);
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.#closed) throw databaseClosed('postgres', this.#where);
    try {
      await this.#migrated();
      return await this.#pool.query<R>(text, values);
    } catch (err) {
      throw this.#wrap(err);
    }
  }

  async #transaction<T>(fn: (query: PgQuery) => Promise<T>): Promise<T> {
    if (this.#closed) throw databaseClosed('postgres', this.#where);
    let client: pg.PoolClient;
    try {
      await this.#migrated();
      client = await this.#pool.connect();
    } catch (err) {
      throw this.#wrap(err);
    }
    const query: PgQuery = async (text, values) => {
      try {
        return await client.query(text, values);
      } catch (err) {
        throw this.#wrap(err);
      }
    };
    let broken: Error | undefined;
    try {
      await query('BEGIN', []);
      const result = await fn(query);
      await query('COMMIT', []);
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** A driver error as WxhubError, its SQLSTATE kept in `pgCode` (23505: a unique constraint). */
  #wrap(err: unknown): Error {
    if (isWxhubError(err)) return err;
    const wrapped = databaseUnavailable('postgres', this.#where, err, [this.#secret]);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') Object.defineProperty(wrapped, 'pgCode', { value: code });
    return wrapped;
  }

  #migrated(): Promise<void> {
    this.#migrating ??= (async () => {
      const client = await this.#pool.connect();
      let failure: Error | undefined;
      try {
        await migratePostgres(client, this.schema, POSTGRES_DATABASE_MIGRATIONS);
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
}
