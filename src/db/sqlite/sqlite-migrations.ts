import type { Migration } from '../../store/migrations.js';

/**
 * The Database's tables in SQLite, applied by the Store's migration runner (`migrateSqlite`), so
 * the file may be the one the SqliteStore uses: ids are prefixed `db_`, the store's `store_`.
 * Append new steps (users, identities) at the end; never edit an applied one.
 */
export const SQLITE_DATABASE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'db_0001_client_keys',
    sql: `
      CREATE TABLE client_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        appids TEXT NOT NULL,
        scopes TEXT NOT NULL,
        rate_limit TEXT,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
    `,
  },
  {
    id: 'db_0002_hub_settings',
    sql: `
      CREATE TABLE hub_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];
