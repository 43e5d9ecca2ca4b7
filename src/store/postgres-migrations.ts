import type { Migration } from '../sql/migrations.js';

/**
 * The tables of PostgresStore, created in the store's schema (the runner sets `search_path`).
 * Credential times are the writer's epoch ms (they come from WeChat's answer); lease, counter and
 * once-key expiries are `timestamptz` of the database clock, so hubs with skewed clocks agree.
 * Applied by the shared runner, `migratePostgres` (src/sql).
 */
export const POSTGRES_STORE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'store_0001_core',
    sql: `
      CREATE TABLE credentials (
        key text PRIMARY KEY,
        value text NOT NULL,
        expires_at bigint NOT NULL,
        fetched_at bigint NOT NULL,
        version bigint NOT NULL
      );
      CREATE TABLE leases (
        name text PRIMARY KEY,
        owner text NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE TABLE counters (
        name text NOT NULL,
        win text NOT NULL,
        value bigint NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (name, win)
      );
      CREATE INDEX counters_expires_at ON counters (expires_at);
      CREATE TABLE once_values (
        key text PRIMARY KEY,
        value text NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX once_values_expires_at ON once_values (expires_at);
    `,
  },
];
