import type Database from 'better-sqlite3';
import type { SqliteConnection } from '../../sql/sqlite-connection.js';
import { migrateSqlite } from '../../sql/sqlite-migrations.js';
import { checkTtl } from '../../store/validate.js';
import { type Clock, systemClock } from '../../util/clock.js';
import type { PushEvent } from '../receive/push-event.js';
import type { DeadLetter, EventLog, LoggedEvent, Position, PositionInput } from './event-log.js';
import { GroupCommit } from './group-commit.js';
import {
  checkCursor,
  checkLimit,
  type DeadLetterRow,
  logged,
  type PositionRow,
  toDeadLetter,
  toPosition,
} from './log-rows.js';
import { LogWatchers } from './log-watchers.js';
import { SQLITE_EVENT_LOG_MIGRATIONS } from './sqlite-event-log-migrations.js';

export interface SqliteEventLogOptions {
  /**
   * How often `watch` polls `max(seq)` for other processes' appends, ms. Default 100: another
   * process's append wakes watchers within this interval (SQLite has no push). Appends through
   * this instance wake them at once.
   */
  readonly watchIntervalMs?: number;
  /** The clock of `logged_at` (what `trim` compares). Default: the system clock. */
  readonly clock?: Clock;
}

/** Rows deleted per write transaction by `trim`, so appends of other processes wait briefly. */
const TRIM_BATCH = 1000;
/**
 * Most appends per write transaction. Measured (bench/gateway.ts) batches are a few to a few
 * dozen; the cap bounds how long one commit holds the write lock and the event loop (~10 µs a row).
 */
const APPEND_BATCH = 256;
const SEQ_CURSOR = /^(0|[1-9][0-9]{0,15})$/;

/**
 * The event log of a SqliteStore, in the store's file (several processes may share it). The
 * cursor is an AUTOINCREMENT `seq`: SQLite has one writer at a time, so seqs become visible in
 * order and a reader never sees a later one before an earlier one. Dedup is the UNIQUE event id.
 * Appends are group-committed (one write transaction per event-loop turn); every call waits for another process's write lock on a timer (the SQL layer's `run`), never
 * inside SQLite.
 */
export class SqliteEventLog implements EventLog {
  readonly #sql: SqliteConnection;
  readonly #clock: Clock;
  readonly #watchIntervalMs: number;
  readonly #watchers = new LogWatchers();
  #statements: Statements | undefined;
  readonly #appends = new GroupCommit<Append, Appended>({
    commit: (items) => this.#commitAppends(items),
    maxBatch: APPEND_BATCH,
  });
  #timer: NodeJS.Timeout | undefined;
  /** The highest seq the watchers were told about. */
  #seenSeq = 0;

  constructor(connection: SqliteConnection, options: SqliteEventLogOptions = {}) {
    this.#sql = connection;
    this.#clock = options.clock ?? systemClock;
    this.#watchIntervalMs = options.watchIntervalMs ?? 100;
    checkTtl('watchIntervalMs', this.#watchIntervalMs);
  }

  /**
   * Group commit (./group-commit.ts): appends of one event-loop turn share one write
   * transaction, and each resolves after its COMMIT. Within a batch, as across batches, the
   * first append of an id is the one logged; the others are its duplicates.
   */
  append(event: PushEvent, partition: number): Promise<{ duplicate: boolean; answer: string | null }> {
    return this.#appends.submit({ event, partition, json: JSON.stringify(event) });
  }

  async setAnswer(id: string, answer: string): Promise<void> {
    await this.#run((s) => s.setAnswer.run(answer, id));
  }

  async readPartition(partition: number, after: string | null, limit: number): Promise<LoggedEvent[]> {
    checkLimit(limit);
    const from = Number(checkCursor(after, SEQ_CURSOR) ?? 0);
    const rows = await this.#run((s) => s.readPartition.all(partition, from, limit) as EventRow[]);
    return rows.map((r) => logged(String(r.seq), r.partition, r.event));
  }

  async readAppid(appid: string, after: string | null, limit: number): Promise<LoggedEvent[]> {
    checkLimit(limit);
    const from = Number(checkCursor(after, SEQ_CURSOR) ?? 0);
    const rows = await this.#run((s) => s.readAppid.all(appid, from, limit) as EventRow[]);
    return rows.map((r) => logged(String(r.seq), r.partition, r.event));
  }

  async latestCursor(partition: number): Promise<string | null> {
    const seq = await this.#run((s) => s.latestSeq.get(partition) as number | null);
    return seq === null || seq === undefined ? null : String(seq);
  }

  async getPosition(consumer: string, partition: number): Promise<Position> {
    return toPosition(
      await this.#run((s) => s.getPosition.get(consumer, partition) as PositionRow | undefined),
    );
  }

  async setPosition(
    consumer: string,
    partition: number,
    expectedVersion: number,
    next: PositionInput,
  ): Promise<boolean> {
    const values = [next.cursor, next.attempts, next.notBefore, next.lastError, consumer, partition];
    const result = await this.#run((s) =>
      expectedVersion === 0
        ? s.insertPosition.run(...values)
        : s.updatePosition.run(...values, expectedVersion),
    );
    return result.changes === 1;
  }

  async addDeadLetter(letter: DeadLetter): Promise<void> {
    const { consumer, event, error, attempts, at } = letter;
    await this.#run((s) =>
      s.addDeadLetter.run(consumer, event.id, JSON.stringify(event), error, attempts, at),
    );
  }

  async deadLetters(consumer: string, limit: number): Promise<DeadLetter[]> {
    checkLimit(limit);
    const rows = await this.#run((s) => s.deadLetters.all(consumer, limit) as DeadLetterRow[]);
    return rows.map(toDeadLetter);
  }

  async removeDeadLetter(consumer: string, eventId: string): Promise<boolean> {
    return (await this.#run((s) => s.removeDeadLetter.run(consumer, eventId))).changes === 1;
  }

  /** Polls `max(seq)` every `watchIntervalMs` while someone watches (the timer is unref'd). */
  async watch(listener: () => void): Promise<() => void> {
    const latest = await this.#run((s) => Number(s.maxSeq.get() ?? 0));
    if (!this.#timer) {
      this.#seenSeq = Math.max(this.#seenSeq, latest);
      this.#timer = setInterval(() => this.#poll(), this.#watchIntervalMs);
      this.#timer.unref();
    }
    return this.#watchers.add(listener, () => this.#stopWatching());
  }

  /** Deletes in batches of 1000 rows, one write transaction each, so appends never wait long. */
  async trim(before: number): Promise<number> {
    let dropped = 0;
    for (;;) {
      const n = await this.#run((s) => s.trim.run(TRIM_BATCH, before).changes);
      dropped += n;
      if (n < TRIM_BATCH) return dropped;
    }
  }

  /** Stops polling; the store (and its file) stays open. */
  async close(): Promise<void> {
    this.#stopWatching();
    this.#watchers.clear();
  }

  /** Runs `fn` on the statements, migrating the file on the first call (retried if it failed). */
  #run<T>(fn: (statements: Statements) => T): Promise<T> {
    return this.#sql.run(() => {
      if (!this.#statements) {
        migrateSqlite(this.#sql.db, SQLITE_EVENT_LOG_MIGRATIONS);
        this.#statements = prepare(this.#sql.db);
      }
      return fn(this.#statements);
    });
  }

  async #commitAppends(items: readonly Append[]): Promise<Appended[]> {
    const results = await this.#run((s) => s.appendBatch.immediate(items, this.#clock));
    let newest = 0;
    for (const r of results) if (r.seq !== undefined && r.seq > newest) newest = r.seq;
    if (newest > 0) this.#appended(newest);
    return results.map(({ seq, answer }) => ({ duplicate: seq === undefined, answer }));
  }

  #appended(seq: number): void {
    // Woken now for our own append (and anything before it), so the poll need not wake again.
    if (this.#timer) this.#seenSeq = Math.max(this.#seenSeq, seq);
    this.#watchers.wake();
  }

  #poll(): void {
    if (this.#sql.closed || !this.#statements) return;
    let latest: number;
    try {
      latest = Number(this.#statements.maxSeq.get() ?? 0);
    } catch {
      return; // busy or briefly unreadable: the next tick looks again
    }
    if (latest <= this.#seenSeq) return;
    this.#seenSeq = latest;
    this.#watchers.wake();
  }

  #stopWatching(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

interface EventRow {
  seq: number;
  partition: number;
  event: string;
}

type Statements = ReturnType<typeof prepare>;

interface Append {
  readonly event: PushEvent;
  readonly partition: number;
  /** The event as stored, serialized before the write lock is taken. */
  readonly json: string;
}

interface Appended {
  readonly duplicate: boolean;
  readonly answer: string | null;
}

function prepare(db: Database.Database) {
  const positionColumns = 'cursor, attempts, not_before, last_error';
  /** The new event's seq, or nothing for a duplicate. */
  const append = db
    .prepare(
      `INSERT INTO gateway_events (id, appid, partition, event, logged_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING RETURNING seq`,
    )
    .pluck();
  const answerOf = db.prepare('SELECT answer FROM gateway_events WHERE id = ?').pluck();
  return {
    /**
     * Each item's seq, or for a duplicate the answer its first try got. Run `.immediate()`: the
     * time is read holding the write lock, so `logged_at` grows with `seq` (what `trim` relies on).
     */
    appendBatch: db.transaction((items: readonly Append[], clock: Clock) => {
      const now = clock.now();
      return items.map(({ event, partition, json }) => {
        const seq = append.get(event.id, event.appid, partition, json, now) as number | undefined;
        if (seq !== undefined) return { seq, answer: null };
        return { seq, answer: (answerOf.get(event.id) as string | null | undefined) ?? null };
      });
    }),
    setAnswer: db.prepare('UPDATE gateway_events SET answer = ? WHERE id = ?'),
    readPartition: db.prepare(
      'SELECT seq, partition, event FROM gateway_events WHERE partition = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    readAppid: db.prepare(
      'SELECT seq, partition, event FROM gateway_events WHERE appid = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    maxSeq: db.prepare('SELECT max(seq) FROM gateway_events').pluck(),
    latestSeq: db.prepare('SELECT max(seq) FROM gateway_events WHERE partition = ?').pluck(),
    getPosition: db.prepare(
      `SELECT ${positionColumns}, version FROM gateway_positions WHERE consumer = ? AND partition = ?`,
    ),
    insertPosition: db.prepare(
      `INSERT INTO gateway_positions (${positionColumns}, consumer, partition, version)
       VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (consumer, partition) DO NOTHING`,
    ),
    updatePosition: db.prepare(
      `UPDATE gateway_positions SET cursor = ?, attempts = ?, not_before = ?, last_error = ?,
         version = version + 1
       WHERE consumer = ? AND partition = ? AND version = ?`,
    ),
    addDeadLetter: db.prepare(
      `INSERT INTO gateway_dead_letters (consumer, event_id, event, error, attempts, at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (consumer, event_id) DO NOTHING`,
    ),
    deadLetters: db.prepare(
      `SELECT consumer, event, error, attempts, at FROM gateway_dead_letters
       WHERE consumer = ? ORDER BY at, rowid LIMIT ?`,
    ),
    removeDeadLetter: db.prepare('DELETE FROM gateway_dead_letters WHERE consumer = ? AND event_id = ?'),
    /**
     * The oldest rows by seq, of those the ones logged before the cut: `logged_at` grows with
     * `seq`, so no index on it is needed (one less B-tree to write per append) and a pass reads
     * at most its batch, even when nothing is old enough.
     */
    trim: db.prepare(
      `DELETE FROM gateway_events
       WHERE seq IN (SELECT seq FROM gateway_events ORDER BY seq LIMIT ?) AND logged_at < ?`,
    ),
  };
}
