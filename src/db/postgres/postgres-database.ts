import type pg from 'pg';
import { PostgresConnection } from '../../sql/postgres-connection.js';
import { DATABASE_ROLE } from '../../sql/sql-failure.js';
import type { AccountTable, ClientKeyTable, Database, SettingsTable } from '../database.js';
import type { FollowerTable, IdentityTable, UserTable } from '../people.js';
import { postgresAccountTable } from './postgres-accounts.js';
import { postgresKeyTable } from './postgres-keys.js';
import { POSTGRES_DATABASE_MIGRATIONS } from './postgres-migrations.js';
import { postgresPeople } from './postgres-people.js';
import { postgresSettingsTable } from './postgres-settings.js';

export type { PgQuery, PgTransaction } from '../../sql/postgres-connection.js';

export interface PostgresDatabaseOptions {
  /** `postgres://[user[:password]@]host[:port]/database` (or `postgresql://`). */
  readonly url: string;
  /** The schema holding the tables (may be the PostgresStore's); created on first use. Default `wxhub`. */
  readonly schema?: string;
  /** pg pool options, applied over wxhub's (2 s connect timeout, 5 s query timeout, max 5). */
  readonly pool?: pg.PoolConfig;
}

/**
 * The Database on PostgreSQL, for fleets (and, later, users at scale). The schema is migrated on
 * first use under the runner's advisory lock, so hubs starting together migrate once. A server
 * that cannot be reached is `WXHUB_ERR_DATABASE_UNAVAILABLE`; SQL the server refuses is a bug
 * (`WXHUB_ERR_INTERNAL` naming the SQLSTATE), never reported as an outage.
 */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  readonly keys: ClientKeyTable;
  readonly settings: SettingsTable;
  readonly accounts: AccountTable;
  readonly users: UserTable;
  readonly identities: IdentityTable;
  readonly followers: FollowerTable;
  readonly #sql: PostgresConnection;

  constructor(options: PostgresDatabaseOptions) {
    this.#sql = new PostgresConnection({
      url: options?.url,
      schema: options?.schema,
      pool: options?.pool,
      max: 5,
      migrations: POSTGRES_DATABASE_MIGRATIONS,
      role: DATABASE_ROLE,
    });
    this.schema = this.#sql.schema;
    this.keys = postgresKeyTable(this.#sql.query, this.#sql.quoted);
    this.settings = postgresSettingsTable(this.#sql.query, this.#sql.quoted);
    this.accounts = postgresAccountTable(this.#sql.query, this.#sql.quoted);
    const people = postgresPeople(this.#sql.query, this.#sql.transaction, this.#sql.quoted);
    this.users = people.users;
    this.identities = people.identities;
    this.followers = people.followers;
  }

  async ping(): Promise<void> {
    await this.#sql.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.#sql.close();
  }
}
