import { resolve } from 'node:path';
import { WxhubError } from '../errors/index.js';
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
  if (typeof url !== 'string' || url.length === 0)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'database URL must be a non-empty string');
  const colon = url.indexOf(':');
  const scheme = colon > 0 ? url.slice(0, colon).toLowerCase() : '';
  const rest = colon > 0 ? url.slice(colon + 1) : '';
  switch (scheme) {
    case 'memory':
      return new MemoryDatabase();
    case 'sqlite': {
      const path = rest.startsWith('//') ? rest.slice(2) : rest;
      if (!path)
        throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'sqlite: database URL needs a path (sqlite:PATH)');
      return new SqliteDatabase({
        ...options.sqlite,
        path: path === ':memory:' ? path : resolve(options.cwd ?? process.cwd(), path),
      });
    }
    case 'postgres':
    case 'postgresql':
      return new PostgresDatabase({ ...options.postgres, url });
    default:
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        `unsupported database scheme ${scheme ? `"${scheme}:"` : '(none)'}; use sqlite:PATH, postgres://, postgresql:// or memory:`,
      );
  }
}
