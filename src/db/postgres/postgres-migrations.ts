import type { Migration } from '../../store/migrations.js';

/**
 * The Database's tables in PostgreSQL, applied by the Store's runner (`migratePostgres`) in the
 * database's schema; ids are prefixed `db_` so the schema may be the PostgresStore's too. Append
 * new steps (users, identities) at the end; never edit an applied one.
 */
export const POSTGRES_DATABASE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'db_0001_client_keys',
    sql: `
      CREATE TABLE client_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        secret_hash text NOT NULL,
        appids text[] NOT NULL,
        scopes text[] NOT NULL,
        rate_limit jsonb,
        created_at bigint NOT NULL,
        revoked_at bigint
      );
    `,
  },
  {
    id: 'db_0002_hub_settings',
    sql: `
      CREATE TABLE hub_settings (
        name text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];
