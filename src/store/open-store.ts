import { splitStorageUrl, sqliteUrlPath, unsupportedScheme } from '../sql/connection-url.js';
import type { Clock } from '../util/clock.js';
import { MemoryStore } from './memory-store.js';
import { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** Clock for the memory and sqlite stores (Redis and PostgreSQL use their server's clock). */
  readonly clock?: Clock;
  /** Base directory for relative `sqlite:` paths. Default: `process.cwd()`. */
  readonly cwd?: string;
  readonly sqlite?: Omit<SqliteStoreOptions, 'path'>;
  readonly redis?: Omit<RedisStoreOptions, 'url'>;
  readonly postgres?: Omit<PostgresStoreOptions, 'url'>;
}

/**
 * Opens the Store a configuration string names (the `store` field of wxhub.config.json):
 * - `memory:` — MemoryStore (one process, nothing kept);
 * - `sqlite:PATH` — SqliteStore; relative paths resolve against the cwd, `sqlite:///abs/path`
 *   and `sqlite::memory:` work too;
 * - `redis://…`, `rediss://…`, `redis+sentinel://h1,h2/MASTER` — RedisStore;
 * - `postgres://…`, `postgresql://…` — PostgresStore.
 * Anything else rejects with `WXHUB_ERR_INVALID_ARGUMENT` naming the scheme (never the URL,
 * which may hold a password).
 */
export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  const { scheme, rest } = splitStorageUrl(url, 'store');
  switch (scheme) {
    case 'memory':
      return new MemoryStore(options.clock ? { clock: options.clock } : {});
    case 'sqlite':
      return new SqliteStore({
        ...options.sqlite,
        ...(options.clock ? { clock: options.clock } : {}),
        path: sqliteUrlPath(rest, options.cwd, 'store'),
      });
    case 'redis':
    case 'rediss':
    case 'redis+sentinel':
      return new RedisStore({ ...options.redis, url });
    case 'postgres':
    case 'postgresql':
      return new PostgresStore({ ...options.postgres, url });
    default:
      throw unsupportedScheme(
        scheme,
        'store',
        'memory:, sqlite:PATH, redis://, rediss://, redis+sentinel://, postgres:// or postgresql://',
      );
  }
}
