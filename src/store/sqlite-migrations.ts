import type { Migration } from '../sql/migrations.js';

/** The tables of SqliteStore, applied by `migrateSqlite` (src/sql). Times are epoch ms of the store's clock. */
export const SQLITE_STORE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'store_0001_core',
    sql: `
      CREATE TABLE credentials (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        fetched_at INTEGER NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE counters (
        name TEXT NOT NULL,
        win TEXT NOT NULL,
        value INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (name, win)
      );
      CREATE INDEX counters_expires_at ON counters (expires_at);
      CREATE TABLE once_values (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX once_values_expires_at ON once_values (expires_at);
    `,
  },
];
