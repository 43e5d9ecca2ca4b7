import { resolve } from 'node:path';
import { WxhubError } from '../errors/index.js';
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
  if (typeof url !== 'string' || url.length === 0)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'store URL must be a non-empty string');
  const colon = url.indexOf(':');
  const scheme = colon > 0 ? url.slice(0, colon).toLowerCase() : '';
  const rest = colon > 0 ? url.slice(colon + 1) : '';
  switch (scheme) {
    case 'memory':
      return new MemoryStore(options.clock ? { clock: options.clock } : {});
    case 'sqlite': {
      const path = rest.startsWith('//') ? rest.slice(2) : rest;
      if (!path)
        throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'sqlite: store URL needs a path (sqlite:PATH)');
      return new SqliteStore({
        ...options.sqlite,
        ...(options.clock ? { clock: options.clock } : {}),
        path: path === ':memory:' ? path : resolve(options.cwd ?? process.cwd(), path),
      });
    }
    case 'redis':
    case 'rediss':
    case 'redis+sentinel':
      return new RedisStore({ ...options.redis, url });
    case 'postgres':
    case 'postgresql':
      return new PostgresStore({ ...options.postgres, url });
    default:
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        `unsupported store scheme ${scheme ? `"${scheme}:"` : '(none)'}; use memory:, sqlite:PATH, redis://, rediss://, redis+sentinel://, postgres:// or postgresql://`,
      );
  }
}
