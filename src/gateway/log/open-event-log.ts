import { WxhubError } from '../../errors/index.js';
import { PostgresStore } from '../../store/postgres-store.js';
import { RedisStore } from '../../store/redis-store.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../util/clock.js';
import type { EventLog } from './event-log.js';
import { MemoryEventLog } from './memory-event-log.js';
import { PostgresEventLog } from './postgres-event-log.js';
import { RedisEventLog } from './redis-event-log.js';
import { SqliteEventLog } from './sqlite-event-log.js';

export interface OpenEventLogOptions {
  /**
   * How long events stay deduplicated where that is a TTL (Redis: the event-id keys), ms. Set it
   * to the gateway's retention. Default 3 days. SQL backends dedup for as long as the event is kept.
   */
  readonly retentionMs?: number;
  /** SQLite: how often `watch` polls for other processes' appends, ms. Default 100. */
  readonly watchIntervalMs?: number;
  /** Memory and SQLite: the clock of an event's logged-at time. Redis and PostgreSQL use their server's. */
  readonly clock?: Clock;
}

/**
 * The gateway's event log on `store`'s backend, sharing its connection: memory → MemoryEventLog,
 * SQLite → tables in the same file, Redis → streams under the same key prefix, PostgreSQL →
 * tables in the same schema. `close()` stops the log's own timers and subscriptions; the store
 * stays open and is closed by its owner, after the log.
 */
export function openEventLog(
  store: Store,
  options: OpenEventLogOptions = {},
): EventLog & { close(): Promise<void> } {
  const given = options.clock;
  const clock = given ? { clock: given } : {};
  if (store instanceof SqliteStore) {
    return new SqliteEventLog(store.connection, {
      ...clock,
      ...(options.watchIntervalMs ? { watchIntervalMs: options.watchIntervalMs } : {}),
    });
  }
  if (store instanceof RedisStore) {
    return new RedisEventLog(store, options.retentionMs ? { dedupTtlMs: options.retentionMs } : {});
  }
  if (store instanceof PostgresStore) return new PostgresEventLog(store);
  if (store.kind === 'memory') return new MemoryEventLog(given ? () => given.now() : Date.now);
  throw new WxhubError(
    'WXHUB_ERR_INVALID_ARGUMENT',
    `no event log for a store of kind ${String(store.kind)}`,
  );
}
