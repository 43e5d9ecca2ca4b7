import type { PushEvent } from '../receive/push-event.js';
import type { DeadLetter, EventLog, LoggedEvent, Position, PositionInput } from './event-log.js';
import { checkCursor, START_POSITION } from './log-rows.js';

/** A memory log's cursor: the decimal sequence number. */
const CURSOR = /^[0-9]{1,15}$/;

interface Entry extends LoggedEvent {
  readonly seq: number;
  readonly at: number;
  answer: string | null;
}

/** The event log of a MemoryStore: one process, nothing survives it (tests, the demo). */
export class MemoryEventLog implements EventLog {
  #seq = 0;
  readonly #byId = new Map<string, Entry>();
  readonly #entries: Entry[] = [];
  readonly #positions = new Map<string, Position>();
  readonly #dead = new Map<string, DeadLetter[]>();
  readonly #listeners = new Set<() => void>();

  constructor(private readonly now: () => number = Date.now) {}

  async append(event: PushEvent, partition: number): Promise<{ duplicate: boolean; answer: string | null }> {
    const found = this.#byId.get(event.id);
    if (found) return { duplicate: true, answer: found.answer };
    const seq = ++this.#seq;
    const entry: Entry = { seq, cursor: String(seq), partition, event, at: this.now(), answer: null };
    this.#byId.set(event.id, entry);
    this.#entries.push(entry);
    for (const listener of this.#listeners) queueMicrotask(listener);
    return { duplicate: false, answer: null };
  }

  async setAnswer(id: string, answer: string): Promise<void> {
    const entry = this.#byId.get(id);
    if (entry) entry.answer = answer;
  }

  async readPartition(partition: number, after: string | null, limit: number): Promise<LoggedEvent[]> {
    return this.#read((e) => e.partition === partition, after, limit);
  }

  async readAppid(appid: string, after: string | null, limit: number): Promise<LoggedEvent[]> {
    return this.#read((e) => e.event.appid === appid, after, limit);
  }

  async latestCursor(partition: number): Promise<string | null> {
    return this.#entries.findLast((e) => e.partition === partition)?.cursor ?? null;
  }

  async getPosition(consumer: string, partition: number): Promise<Position> {
    return this.#positions.get(`${consumer}\n${partition}`) ?? START_POSITION;
  }

  async setPosition(
    consumer: string,
    partition: number,
    expected: number,
    next: PositionInput,
  ): Promise<boolean> {
    const key = `${consumer}\n${partition}`;
    if ((this.#positions.get(key)?.version ?? 0) !== expected) return false;
    this.#positions.set(key, { ...next, version: expected + 1 });
    return true;
  }

  async addDeadLetter(letter: DeadLetter): Promise<void> {
    const list = this.#dead.get(letter.consumer) ?? [];
    if (!list.some((l) => l.event.id === letter.event.id)) list.push(letter);
    this.#dead.set(letter.consumer, list);
  }

  async deadLetters(consumer: string, limit: number): Promise<DeadLetter[]> {
    return (this.#dead.get(consumer) ?? []).slice(0, limit);
  }

  async removeDeadLetter(consumer: string, eventId: string): Promise<boolean> {
    const list = this.#dead.get(consumer) ?? [];
    const index = list.findIndex((l) => l.event.id === eventId);
    if (index === -1) return false;
    list.splice(index, 1);
    return true;
  }

  async watch(listener: () => void): Promise<() => void> {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Forgets the watchers; the events stay (nothing to release). */
  async close(): Promise<void> {
    this.#listeners.clear();
  }

  async trim(before: number): Promise<number> {
    let dropped = 0;
    while (this.#entries.length > 0 && this.#entries[0]!.at < before) {
      this.#byId.delete(this.#entries.shift()!.event.id);
      dropped++;
    }
    return dropped;
  }

  #read(match: (entry: Entry) => boolean, after: string | null, limit: number): LoggedEvent[] {
    const from = Number(checkCursor(after, CURSOR) ?? 0);
    const out: LoggedEvent[] = [];
    for (const entry of this.#entries) {
      if (out.length >= limit) break;
      if (entry.seq > from && match(entry))
        out.push({ cursor: entry.cursor, partition: entry.partition, event: entry.event });
    }
    return out;
  }
}
