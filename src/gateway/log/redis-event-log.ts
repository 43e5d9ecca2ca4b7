import type { ChainableCommander, Redis } from 'ioredis';
import type { RedisStore } from '../../store/redis-store.js';
import { checkInteger, checkTtl } from '../../store/validate.js';
import type { PushEvent } from '../receive/push-event.js';
import type { DeadLetter, EventLog, LoggedEvent, Position, PositionInput } from './event-log.js';
import { checkCursor, checkLimit, logged, START_POSITION } from './log-rows.js';
import { ChannelWatchers } from './log-watchers.js';
import {
  ADD_DEAD_LETTER,
  APPEND_EVENT,
  DEAD_LETTERS,
  REMOVE_DEAD_LETTER,
  SET_POSITION,
} from './redis-event-log-scripts.js';

export interface RedisEventLogOptions {
  /** How long an event id stays deduplicated (and its answer kept), ms: the retention. Default 3 days. */
  readonly dedupTtlMs?: number;
}

const DAY_MS = 86_400_000;
const STREAM_ID = /^[0-9]{1,20}-[0-9]{1,20}$/;

interface LogScripts {
  wxhubLogAppend(...args: (string | number)[]): Promise<[number, string]>;
  wxhubLogSetPosition(...args: (string | number)[]): Promise<number>;
  wxhubLogAddDeadLetter(...args: (string | number)[]): Promise<number>;
  wxhubLogDeadLetters(...args: (string | number)[]): Promise<(string | null)[]>;
  wxhubLogRemoveDeadLetter(...args: (string | number)[]): Promise<number>;
}

const withScripts = new WeakSet<Redis>();

/** The log's scripts on the store's connection, defined once per connection (EVALSHA after the first call). */
function scripts(redis: Redis): LogScripts {
  if (!withScripts.has(redis)) {
    redis.defineCommand('wxhubLogAppend', { numberOfKeys: 4, lua: APPEND_EVENT });
    redis.defineCommand('wxhubLogSetPosition', { numberOfKeys: 1, lua: SET_POSITION });
    redis.defineCommand('wxhubLogAddDeadLetter', { numberOfKeys: 2, lua: ADD_DEAD_LETTER });
    redis.defineCommand('wxhubLogDeadLetters', { numberOfKeys: 2, lua: DEAD_LETTERS });
    redis.defineCommand('wxhubLogRemoveDeadLetter', { numberOfKeys: 2, lua: REMOVE_DEAD_LETTER });
    withScripts.add(redis);
  }
  return redis as unknown as LogScripts;
}

/**
 * The event log of a RedisStore, on Redis Streams under the store's key prefix (`wxhub:` below):
 * - `wxhub:gw:p:PARTITION`: a stream per partition, entries `{e: event JSON}`; its ids are the
 *   partition's cursors (`XRANGE key (CURSOR + COUNT n`);
 * - `wxhub:gw:a:APPID`: a stream per account, entries `{p: partition, r: id in that partition's
 *   stream}`, for the pull API; the event itself is kept once;
 * - `wxhub:gw:id:EVENT_ID`: the dedup key, `SET NX`-style, holding the first try's answer, with
 *   a TTL of `dedupTtlMs`;
 * - `wxhub:gw:streams`: the stream keys, for `trim` (`XTRIM MINID`, by the ids' time part);
 * - `wxhub:gw:pos:CONSUMER:PARTITION`: a position hash with a `version` field (CAS in Lua);
 * - `wxhub:gw:dead:CONSUMER` (hash event id → letter JSON) and `wxhub:gw:dead-order:CONSUMER`
 *   (sorted set by time): dead letters; consumer names URI-encoded;
 * - channel `wxhub:gw:events`: each append publishes its partition, for `watch`.
 * An append (dedup check, both XADDs, the dedup key, the publish) is one Lua script.
 */
export class RedisEventLog implements EventLog {
  readonly #store: RedisStore;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #dedupTtlMs: number;
  readonly #watchers: ChannelWatchers;

  constructor(store: RedisStore, options: RedisEventLogOptions = {}) {
    this.#store = store;
    this.#prefix = `${store.keyPrefix}gw:`;
    this.#channel = `${this.#prefix}events`;
    this.#dedupTtlMs = options.dedupTtlMs ?? 3 * DAY_MS;
    checkTtl('dedupTtlMs', this.#dedupTtlMs);
    this.#watchers = new ChannelWatchers((wake) => store.listen(this.#channel, wake));
  }

  async append(event: PushEvent, partition: number): Promise<{ duplicate: boolean; answer: string | null }> {
    checkInteger('partition', partition, 0);
    const [duplicate, value] = await this.#store.command((r) =>
      scripts(r).wxhubLogAppend(
        this.#idKey(event.id),
        this.#partitionKey(partition),
        this.#appidKey(event.appid),
        `${this.#prefix}streams`,
        JSON.stringify(event),
        partition,
        this.#dedupTtlMs,
        this.#channel,
      ),
    );
    if (duplicate === 0) return { duplicate: false, answer: null };
    return { duplicate: true, answer: value.startsWith('=') ? value.slice(1) : null };
  }

  async setAnswer(id: string, answer: string): Promise<void> {
    await this.#store.command((r) => r.set(this.#idKey(id), `=${answer}`, 'KEEPTTL', 'XX'));
  }

  async readPartition(partition: number, after: string | null, limit: number): Promise<LoggedEvent[]> {
    checkLimit(limit);
    const entries = await this.#store.command((r) =>
      r.xrange(this.#partitionKey(partition), start(after), '+', 'COUNT', limit),
    );
    return entries.map(([id, fields]) => logged(id, partition, field(fields, 'e')));
  }

  /** Two round trips: the appid stream's pointers, then the events from their partition streams. */
  async readAppid(appid: string, after: string | null, limit: number): Promise<LoggedEvent[]> {
    checkLimit(limit);
    const pointers = await this.#store.command((r) =>
      r.xrange(this.#appidKey(appid), start(after), '+', 'COUNT', limit),
    );
    if (pointers.length === 0) return [];
    const found = await this.#pipeline((batch) => {
      for (const [, fields] of pointers) {
        const id = field(fields, 'r');
        batch.xrange(this.#partitionKey(Number(field(fields, 'p'))), id, id);
      }
    });
    const out: LoggedEvent[] = [];
    for (const [i, [cursor, fields]] of pointers.entries()) {
      const entry = (found[i] as [string, string[]][])[0];
      // Trimmed from its partition meanwhile (trim goes stream by stream): as good as gone.
      if (entry) out.push(logged(cursor, field(fields, 'p'), field(entry[1], 'e')));
    }
    return out;
  }

  async latestCursor(partition: number): Promise<string | null> {
    const entries = await this.#store.command((r) =>
      r.xrevrange(this.#partitionKey(partition), '+', '-', 'COUNT', 1),
    );
    return entries[0]?.[0] ?? null;
  }

  async getPosition(consumer: string, partition: number): Promise<Position> {
    const hash = await this.#store.command((r) => r.hgetall(this.#positionKey(consumer, partition)));
    if (!hash.version) return START_POSITION;
    return {
      cursor: hash.cursor ?? null,
      attempts: Number(hash.attempts),
      notBefore: Number(hash.notBefore),
      lastError: hash.lastError ?? null,
      version: Number(hash.version),
    };
  }

  async setPosition(
    consumer: string,
    partition: number,
    expectedVersion: number,
    next: PositionInput,
  ): Promise<boolean> {
    const fields: (string | number)[] = ['attempts', next.attempts, 'notBefore', next.notBefore];
    if (next.cursor !== null) fields.push('cursor', next.cursor);
    if (next.lastError !== null) fields.push('lastError', next.lastError);
    const written = await this.#store.command((r) =>
      scripts(r).wxhubLogSetPosition(this.#positionKey(consumer, partition), expectedVersion, ...fields),
    );
    return written === 1;
  }

  async addDeadLetter(letter: DeadLetter): Promise<void> {
    await this.#store.command((r) =>
      scripts(r).wxhubLogAddDeadLetter(
        ...this.#deadKeys(letter.consumer),
        letter.event.id,
        JSON.stringify(letter),
        letter.at,
      ),
    );
  }

  async deadLetters(consumer: string, limit: number): Promise<DeadLetter[]> {
    checkLimit(limit);
    const letters = await this.#store.command((r) =>
      scripts(r).wxhubLogDeadLetters(...this.#deadKeys(consumer), limit),
    );
    return letters.filter((l): l is string => l !== null).map((l) => JSON.parse(l) as DeadLetter);
  }

  async removeDeadLetter(consumer: string, eventId: string): Promise<boolean> {
    const removed = await this.#store.command((r) =>
      scripts(r).wxhubLogRemoveDeadLetter(...this.#deadKeys(consumer), eventId),
    );
    return removed === 1;
  }

  /** Pub/sub on the store's subscriber connection; after a reconnect watchers are woken once. */
  watch(listener: () => void): Promise<() => void> {
    return this.#watchers.add(listener);
  }

  /**
   * `XTRIM MINID` on every stream: stream ids start with Redis' clock in ms, the logged-at time.
   * Dedup keys expire by themselves (`dedupTtlMs`). Resolves how many events were dropped.
   */
  async trim(before: number): Promise<number> {
    checkInteger('before', before, 0);
    const streams = await this.#store.command((r) => r.smembers(`${this.#prefix}streams`));
    if (streams.length === 0) return 0;
    const trimmed = await this.#pipeline((batch) => {
      for (const key of streams) batch.xtrim(key, 'MINID', `${before}-0`);
    });
    // Each event is in one partition stream (and pointed to from one appid stream): count it once.
    const partitions = `${this.#prefix}p:`;
    return streams.reduce((sum, key, i) => (key.startsWith(partitions) ? sum + Number(trimmed[i]) : sum), 0);
  }

  /** Leaves the channel; the store (and its connections) stays open. */
  close(): Promise<void> {
    return this.#watchers.close();
  }

  /** Commands queued by `queue`, sent in one round trip; their results, or the first error. */
  #pipeline(queue: (batch: ChainableCommander) => void): Promise<unknown[]> {
    return this.#store.command(async (r) => {
      const batch = r.pipeline();
      queue(batch);
      const replies = (await batch.exec()) ?? [];
      return replies.map(([err, result]) => {
        if (err) throw err;
        return result;
      });
    });
  }

  #idKey(id: string): string {
    return `${this.#prefix}id:${id}`;
  }

  #partitionKey(partition: number): string {
    return `${this.#prefix}p:${partition}`;
  }

  #appidKey(appid: string): string {
    return `${this.#prefix}a:${encodeURIComponent(appid)}`;
  }

  #positionKey(consumer: string, partition: number): string {
    return `${this.#prefix}pos:${encodeURIComponent(consumer)}:${partition}`;
  }

  #deadKeys(consumer: string): [string, string] {
    const name = encodeURIComponent(consumer);
    return [`${this.#prefix}dead:${name}`, `${this.#prefix}dead-order:${name}`];
  }
}

/** XRANGE's start: everything, or strictly after `after`. */
function start(after: string | null): string {
  const cursor = checkCursor(after, STREAM_ID);
  return cursor === null ? '-' : `(${cursor}`;
}

/** A field of a stream entry (`[name, value, name, value, ...]`). */
function field(fields: readonly string[], name: string): string {
  for (let i = 0; i < fields.length - 1; i += 2) if (fields[i] === name) return fields[i + 1]!;
  throw new Error(`event log entry without ${name}`);
}
