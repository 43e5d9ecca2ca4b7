import type { Migration } from '../../sql/migrations.js';

/**
 * The event log's tables in the SqliteStore's file, applied by the SQL layer's runner
 * (`migrateSqlite`) beside the store's own steps. Times are epoch ms.
 *
 * `seq` is AUTOINCREMENT on purpose: a plain rowid is reused after the newest rows are deleted,
 * so a log trimmed empty would hand out a cursor a consumer has already passed, and that consumer
 * would never see the new event.
 */
export const SQLITE_EVENT_LOG_MIGRATIONS: readonly Migration[] = [
  {
    id: 'gateway_0001_event_log',
    sql: `
      CREATE TABLE gateway_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        appid TEXT NOT NULL,
        partition INTEGER NOT NULL,
        event TEXT NOT NULL,
        answer TEXT,
        logged_at INTEGER NOT NULL
      );
      CREATE INDEX gateway_events_partition ON gateway_events (partition, seq);
      CREATE INDEX gateway_events_appid ON gateway_events (appid, seq);
      CREATE INDEX gateway_events_logged_at ON gateway_events (logged_at);
      CREATE TABLE gateway_positions (
        consumer TEXT NOT NULL,
        partition INTEGER NOT NULL,
        cursor TEXT,
        attempts INTEGER NOT NULL,
        not_before INTEGER NOT NULL,
        last_error TEXT,
        version INTEGER NOT NULL,
        PRIMARY KEY (consumer, partition)
      );
      CREATE TABLE gateway_dead_letters (
        consumer TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event TEXT NOT NULL,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (consumer, event_id)
      );
      CREATE INDEX gateway_dead_letters_at ON gateway_dead_letters (consumer, at);
    `,
  },
  {
    // `trim` walks the oldest rows by seq instead (logged_at grows with seq): one less index to
    // write per append, for a delete that runs once an hour or so.
    id: 'gateway_0002_trim_by_seq',
    sql: 'DROP INDEX IF EXISTS gateway_events_logged_at;',
  },
];
