import type pg from 'pg';
import { driverCode } from '../../sql/driver-error.js';
import type { PostgresConnection } from '../../sql/postgres-connection.js';
import { migratePostgres } from '../../sql/postgres-migrations.js';
import type { PostgresStore } from '../../store/postgres-store.js';
import { checkInteger } from '../../store/validate.js';
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
import { ChannelWatchers } from './log-watchers.js';
import { POSTGRES_EVENT_LOG_MIGRATIONS } from './postgres-event-log-migrations.js';

/** `TX.SEQ`: the appending transaction's id and the row's sequence number. */
const CURSOR = /^([0-9]{1,20})\.([0-9]{1,19})$/;
/** How long a read waits for older transactions still in flight to end, when only newer rows are there, ms. */
const SETTLE_WAIT_MS = 250;
/** Rows deleted per statement by `trim`: short transactions, since a long one holds readers back. */
const TRIM_BATCH = 5000;
/** Most appends per INSERT: a statement's parameters stay small, its locks short. */
const APPEND_BATCH = 256;
/** SQLSTATE deadlock_detected, and how often a batch that hit one is tried in all. */
const DEADLOCK = '40P01';
const DEADLOCK_TRIES = 3;

interface Append {
  readonly event: PushEvent;
  readonly partition: number;
}

interface Appended {
  readonly duplicate: boolean;
  readonly answer: string | null;
}

interface EventRow {
  tx: string;
  seq: string;
  partition: number;
  event: string;
  /** The oldest transaction still running: rows of older ones are final. */
  horizon: string;
}

/**
 * The event log of a PostgresStore, in the store's schema and pool. Dedup is the UNIQUE event id
 * (`INSERT … ON CONFLICT DO NOTHING`), positions are CAS'd with `UPDATE … WHERE version = $n`,
 * appends `pg_notify` the schema's `_events` channel, which `watch` listens to on the store's
 * LISTEN connection. Cursors are `(transaction id, seq)`: see postgres-event-log-migrations.ts
 * for why a bigserial alone would lose events.
 */
export class PostgresEventLog implements EventLog {
  readonly #sql: PostgresConnection;
  readonly #channel: string;
  readonly #q: ReturnType<typeof statements>;
  readonly #watchers: ChannelWatchers;
  #migrating: Promise<void> | undefined;
  #announcing: Promise<void> | undefined;
  #announceAgain = false;
  readonly #appends = new GroupCommit<Append, Appended>({
    commit: (items) => this.#commitAppends(items),
    maxBatch: APPEND_BATCH,
  });

  constructor(store: PostgresStore) {
    this.#sql = store.connection;
    this.#channel = `${this.#sql.schema}_events`;
    this.#q = statements(this.#sql.quoted);
    this.#watchers = new ChannelWatchers((wake) =>
      this.#migrated().then(() => store.listen(this.#channel, wake)),
    );
  }

  /**
   * Group commit (./group-commit.ts): the appends of one event-loop turn are one multi-row
   * `INSERT`, in their order, and each resolves after that statement committed. Within a batch,
   * as across batches, the first append of an id is the one logged.
   */
  append(event: PushEvent, partition: number): Promise<{ duplicate: boolean; answer: string | null }> {
    checkInteger('partition', partition, 0);
    return this.#appends.submit({ event, partition });
  }

  async #commitAppends(items: readonly Append[]): Promise<Appended[]> {
    const { rows } = await this.#insertBatch(items);
    const inserted = new Set(rows.map((r) => r.id));
    // The first item of an inserted id is the new event; later ones and ids logged before are duplicates.
    const fresh = items.map(({ event }) => inserted.delete(event.id));
    const duplicates = items.filter((_, i) => !fresh[i]).map(({ event }) => event.id);
    const answers = new Map<string, string | null>();
    if (duplicates.length > 0) {
      const found = await this.#query<{ id: string; answer: string | null }>(this.#q.answersOf, [duplicates]);
      for (const { id, answer } of found.rows) answers.set(id, answer);
    }
    if (rows.length > 0) this.#announce();
    return items.map(({ event }, i) =>
      fresh[i]
        ? { duplicate: false, answer: null }
        : { duplicate: true, answer: answers.get(event.id) ?? null },
    );
  }

  /**
   * One INSERT of the batch. Two hubs inserting batches that share ids in another order can
   * deadlock on the unique index (PostgreSQL then aborts one: nothing of it is written); that
   * batch is tried again rather than failing its pushes.
   */
  async #insertBatch(items: readonly Append[]): Promise<pg.QueryResult<{ id: string }>> {
    const values = [
      items.map((i) => i.event.id),
      items.map((i) => i.event.appid),
      items.map((i) => i.partition),
      items.map((i) => JSON.stringify(i.event)),
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#query<{ id: string }>(this.#q.appendBatch, values);
      } catch (err) {
        if (driverCode(err) !== DEADLOCK || attempt >= DEADLOCK_TRIES) throw err;
      }
    }
  }

  async setAnswer(id: string, answer: string): Promise<void> {
    await this.#query(this.#q.setAnswer, [id, answer]);
  }

  readPartition(partition: number, after: string | null, limit: number): Promise<LoggedEvent[]> {
    return this.#read(this.#q.readPartition, partition, after, limit);
  }

  readAppid(appid: string, after: string | null, limit: number): Promise<LoggedEvent[]> {
    return this.#read(this.#q.readAppid, appid, after, limit);
  }

  /**
   * The newest row in cursor order, settled or not: an append still in flight in an older
   * transaction may land before it and be skipped by a consumer starting here, which is what
   * "from now on" means for an event that raced the consumer's creation.
   */
  async latestCursor(partition: number): Promise<string | null> {
    const { rows } = await this.#query<{ tx: string; seq: string }>(this.#q.latestCursor, [partition]);
    return rows[0] ? `${rows[0].tx}.${rows[0].seq}` : null;
  }

  async getPosition(consumer: string, partition: number): Promise<Position> {
    const { rows } = await this.#query<PositionRow>(this.#q.getPosition, [consumer, partition]);
    return toPosition(rows[0]);
  }

  async setPosition(
    consumer: string,
    partition: number,
    expectedVersion: number,
    next: PositionInput,
  ): Promise<boolean> {
    const values = [consumer, partition, next.cursor, next.attempts, next.notBefore, next.lastError];
    const { rowCount } =
      expectedVersion === 0
        ? await this.#query(this.#q.insertPosition, values)
        : await this.#query(this.#q.updatePosition, [...values, expectedVersion]);
    return rowCount === 1;
  }

  async addDeadLetter(letter: DeadLetter): Promise<void> {
    const { consumer, event, error, attempts, at } = letter;
    await this.#query(this.#q.addDeadLetter, [
      consumer,
      event.id,
      JSON.stringify(event),
      error,
      attempts,
      at,
    ]);
  }

  async deadLetters(consumer: string, limit: number): Promise<DeadLetter[]> {
    checkLimit(limit);
    const { rows } = await this.#query<DeadLetterRow>(this.#q.deadLetters, [consumer, limit]);
    return rows.map(toDeadLetter);
  }

  async removeDeadLetter(consumer: string, eventId: string): Promise<boolean> {
    return (await this.#query(this.#q.removeDeadLetter, [consumer, eventId])).rowCount === 1;
  }

  /** LISTEN on the store's connection; after it was reopened, watchers are woken once. */
  watch(listener: () => void): Promise<() => void> {
    return this.#watchers.add(listener);
  }

  /**
   * Deletes in statements of 5000 rows, skipping rows another hub's trim has locked (`SKIP
   * LOCKED`), so hubs trimming at once share the work instead of queueing on each other's rows.
   */
  async trim(before: number): Promise<number> {
    checkInteger('before', before, 0);
    let dropped = 0;
    for (;;) {
      const { rowCount } = await this.#query(this.#q.trim, [before, TRIM_BATCH]);
      dropped += rowCount ?? 0;
      if ((rowCount ?? 0) < TRIM_BATCH) return dropped;
    }
  }

  /** Stops listening, after the last notification is out; the store (and its pool) stays open. */
  async close(): Promise<void> {
    while (this.#announcing) await this.#announcing;
    await this.#watchers.close();
  }

  /**
   * Tells the channel's listeners that events were appended, after the append committed and
   * outside its transaction: a NOTIFY in the append's own transaction serializes every such
   * commit on the server's notification lock (215 against 807 appends/s, bench/event-log.ts).
   * One NOTIFY is in flight per instance; appends that commit meanwhile get one more after it,
   * which starts after their commit. A hub that dies before notifying leaves the others to
   * their poll; the wake-up is a hint, the log is the truth.
   */
  #announce(): void {
    if (this.#announcing) {
      this.#announceAgain = true;
      return;
    }
    this.#announcing = this.#query(this.#q.notify, [this.#channel])
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.#announcing = undefined;
        if (!this.#announceAgain) return;
        this.#announceAgain = false;
        this.#announce();
      });
  }

  /**
   * The rows after `after` in cursor order, up to the first that is not settled (an older
   * transaction, another hub's append, may still commit before it). When the first answer holds
   * unsettled rows, waits until every transaction up to its newest row has ended (appends take
   * milliseconds; newer ones do not prolong the wait), at most SETTLE_WAIT_MS: so a read right
   * after an append sees it. Past the wait, resolves what is settled; the next read gets the rest.
   */
  async #read(
    text: string,
    key: string | number,
    after: string | null,
    limit: number,
  ): Promise<LoggedEvent[]> {
    checkLimit(limit);
    const [, tx = '0', seq = '0'] = CURSOR.exec(checkCursor(after, CURSOR) ?? '') ?? [];
    const deadline = Date.now() + SETTLE_WAIT_MS;
    let newest: bigint | undefined;
    for (let pause = 1; ; pause *= 2) {
      const { rows } = await this.#query<EventRow>(text, [key, tx, seq, limit]);
      if (rows.length === 0) return [];
      const horizon = BigInt(rows[0]!.horizon);
      newest ??= BigInt(rows.at(-1)!.tx);
      if (horizon > newest || Date.now() + pause > deadline) {
        const settled = rows.findIndex((r) => BigInt(r.tx) >= horizon);
        return (settled === -1 ? rows : rows.slice(0, settled)).map((r) =>
          logged(`${r.tx}.${r.seq}`, r.partition, r.event),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async #query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    await this.#migrated();
    return this.#sql.query<R>(text, values);
  }

  /** Applies the log's migrations once per instance; a failure (database down) is retried by the next call. */
  #migrated(): Promise<void> {
    this.#migrating ??= (async () => {
      this.#sql.checkOpen();
      const client = await this.#sql.pool.connect();
      let failure: Error | undefined;
      try {
        await migratePostgres(client, this.#sql.schema, POSTGRES_EVENT_LOG_MIGRATIONS);
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
        throw err;
      } finally {
        client.release(failure);
      }
    })().catch((err: unknown) => {
      this.#migrating = undefined;
      throw this.#sql.error(err);
    });
    return this.#migrating;
  }
}

/** The log's SQL with the (validated, quoted) schema filled in. */
function statements(s: string) {
  // ORDER BY names the table's columns (e.tx, e.seq): a bare `tx` would bind to the output
  // alias `tx::text AS tx` and sort cursors as text ("11508" before "2084"), while the WHERE
  // compares them as numbers, so a consumer would be handed events again.
  const read = (column: string) => `
    SELECT e.tx::text AS tx, e.seq::text AS seq, e.partition, e.event,
           pg_snapshot_xmin(pg_current_snapshot())::text AS horizon
    FROM ${s}.gateway_events e
    WHERE e.${column} = $1 AND (e.tx, e.seq) > ($2::xid8, $3::bigint)
    ORDER BY e.tx, e.seq
    LIMIT $4`;
  return {
    /** In the batch's order (seq follows it): ids of the rows inserted. */
    appendBatch: `
      INSERT INTO ${s}.gateway_events (id, appid, partition, event)
      SELECT id, appid, partition, event
      FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) WITH ORDINALITY AS t(id, appid, partition, event, n)
      ORDER BY n
      ON CONFLICT (id) DO NOTHING
      RETURNING id`,
    notify: `SELECT pg_notify($1, '')`,
    answersOf: `SELECT id, answer FROM ${s}.gateway_events WHERE id = ANY($1::text[])`,
    setAnswer: `UPDATE ${s}.gateway_events SET answer = $2 WHERE id = $1`,
    readPartition: read('partition'),
    readAppid: read('appid'),
    latestCursor: `
      SELECT e.tx::text AS tx, e.seq::text AS seq FROM ${s}.gateway_events e
      WHERE e.partition = $1 ORDER BY e.tx DESC, e.seq DESC LIMIT 1`,
    getPosition: `
      SELECT cursor, attempts, not_before, last_error, version
      FROM ${s}.gateway_positions WHERE consumer = $1 AND partition = $2`,
    insertPosition: `
      INSERT INTO ${s}.gateway_positions (consumer, partition, cursor, attempts, not_before, last_error, version)
      VALUES ($1, $2, $3, $4, $5, $6, 1)
      ON CONFLICT (consumer, partition) DO NOTHING`,
    updatePosition: `
      UPDATE ${s}.gateway_positions
      SET cursor = $3, attempts = $4, not_before = $5, last_error = $6, version = version + 1
      WHERE consumer = $1 AND partition = $2 AND version = $7`,
    addDeadLetter: `
      INSERT INTO ${s}.gateway_dead_letters (consumer, event_id, event, error, attempts, at)
      VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (consumer, event_id) DO NOTHING`,
    deadLetters: `
      SELECT consumer, event, error, attempts, at FROM ${s}.gateway_dead_letters
      WHERE consumer = $1 ORDER BY at, seq LIMIT $2`,
    removeDeadLetter: `DELETE FROM ${s}.gateway_dead_letters WHERE consumer = $1 AND event_id = $2`,
    trim: `
      DELETE FROM ${s}.gateway_events WHERE seq IN (
        SELECT seq FROM ${s}.gateway_events WHERE logged_at < $1
        ORDER BY logged_at LIMIT $2
        FOR UPDATE SKIP LOCKED)`,
  };
}
