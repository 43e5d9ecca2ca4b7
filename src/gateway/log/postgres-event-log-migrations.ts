import type { Migration } from '../../sql/migrations.js';

/**
 * The event log's tables in the PostgresStore's schema, applied by the SQL layer's runner
 * (`migratePostgres`, which sets `search_path` to the schema). `logged_at` is epoch ms of the
 * database clock, so hubs with skewed clocks trim alike.
 *
 * `tx` is the appending transaction's id. `seq` alone cannot be the cursor: it is drawn when a
 * row is inserted, not when it commits, so a reader can see seq 11 committed while seq 10 is
 * still in flight, move past it, and miss 10 for good. Rows are read in `(tx, seq)` order and
 * only below the oldest transaction still running (`pg_snapshot_xmin`): nothing can commit
 * there any more, so a cursor never passes an event that shows up later.
 */
export const POSTGRES_EVENT_LOG_MIGRATIONS: readonly Migration[] = [
  {
    id: 'gateway_0001_event_log',
    sql: `
      CREATE TABLE gateway_events (
        seq bigserial PRIMARY KEY,
        tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
        id text NOT NULL UNIQUE,
        appid text NOT NULL,
        partition integer NOT NULL,
        event text NOT NULL,
        answer text,
        logged_at bigint NOT NULL DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::bigint
      );
      CREATE INDEX gateway_events_partition ON gateway_events (partition, tx, seq);
      CREATE INDEX gateway_events_appid ON gateway_events (appid, tx, seq);
      CREATE INDEX gateway_events_logged_at ON gateway_events (logged_at);
      CREATE TABLE gateway_positions (
        consumer text NOT NULL,
        partition integer NOT NULL,
        cursor text,
        attempts integer NOT NULL,
        not_before bigint NOT NULL,
        last_error text,
        version bigint NOT NULL,
        PRIMARY KEY (consumer, partition)
      );
      CREATE TABLE gateway_dead_letters (
        consumer text NOT NULL,
        event_id text NOT NULL,
        event text NOT NULL,
        error text NOT NULL,
        attempts integer NOT NULL,
        at bigint NOT NULL,
        seq bigserial NOT NULL,
        PRIMARY KEY (consumer, event_id)
      );
      CREATE INDEX gateway_dead_letters_at ON gateway_dead_letters (consumer, at, seq);
    `,
  },
];
