import { splitStorageUrl, sqliteUrlPath, unsupportedScheme } from '../sql/connection-url.js';
import type { Database } from './database.js';
import { MemoryDatabase } from './memory/memory-database.js';
import { PostgresDatabase, type PostgresDatabaseOptions } from './postgres/postgres-database.js';
import { SqliteDatabase, type SqliteDatabaseOptions } from './sqlite/sqlite-database.js';

export interface OpenDatabaseOptions {
  /** Base directory for relative `sqlite:` paths. Default: `process.cwd()`. */
  readonly cwd?: string;
  readonly sqlite?: Omit<SqliteDatabaseOptions, 'path'>;
  readonly postgres?: Omit<PostgresDatabaseOptions, 'url'>;
}

/**
 * Opens the Database a configuration string names (the `database` field of wxhub.config.json):
 * `sqlite:PATH` (relative to the cwd; `sqlite:///abs/path`, `sqlite::memory:`), `postgres://…` /
 * `postgresql://…`, or `memory:`. Anything else rejects with `WXHUB_ERR_INVALID_ARGUMENT` naming
 * the scheme, never the URL (it may hold a password).
 */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Database {
  const { scheme, rest } = splitStorageUrl(url, 'database');
  switch (scheme) {
    case 'memory':
      return new MemoryDatabase();
    case 'sqlite':
      return new SqliteDatabase({ ...options.sqlite, path: sqliteUrlPath(rest, options.cwd, 'database') });
    case 'postgres':
    case 'postgresql':
      return new PostgresDatabase({ ...options.postgres, url });
    default:
      throw unsupportedScheme(scheme, 'database', 'sqlite:PATH, postgres://, postgresql:// or memory:');
  }
}
