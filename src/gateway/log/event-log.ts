import type { PushEvent } from '../receive/push-event.js';

/** An event as the log keeps it: where it sits (`cursor`, opaque, ordered) and which partition. */
export interface LoggedEvent {
  /** Orders events within the partition (and within the appid for `readAppid`); opaque text. */
  readonly cursor: string;
  readonly partition: number;
  readonly event: PushEvent;
}

/** Where a consumer (a subscriber or a sink) stands in one partition, with its retry state. */
export interface Position {
  /** The last event done with (delivered, or dead-lettered), or null before the first. */
  readonly cursor: string | null;
  /** Failed attempts at the event after `cursor`. */
  readonly attempts: number;
  /** Epoch ms before which the next attempt waits (backoff). */
  readonly notBefore: number;
  readonly lastError: string | null;
  /** Bumped by every write, for compare-and-set; 0 for a position never written. */
  readonly version: number;
}

export type PositionInput = Omit<Position, 'version'>;

/** An event a consumer gave up on after its retries, kept for an operator to replay. */
export interface DeadLetter {
  readonly consumer: string;
  readonly event: PushEvent;
  readonly error: string;
  readonly attempts: number;
  /** Epoch ms. */
  readonly at: number;
}

/**
 * The gateway's durable event log: every accepted push, written before WeChat gets its answer.
 * One implementation per store backend (memory, sqlite, redis, postgres), all held to one
 * contract suite (test/gateway/event-log-contract.ts), so a fleet of hubs on one store shares
 * one log: the same dedup, the same partitions, the same consumer positions.
 *
 * Events are partitioned by openid (`partitionOf`), so each consumer reads a partition in order
 * and one user's events are delivered in the order WeChat pushed them.
 */
export interface EventLog {
  /**
   * Appends `event` unless an event with its id is already logged (WeChat's retry of a push, on
   * this hub or another): then `duplicate` is true, nothing is written, and `answer` is what the
   * first try was answered with, if that is known yet.
   */
  append(event: PushEvent, partition: number): Promise<{ duplicate: boolean; answer: string | null }>;
  /** Remembers the body WeChat got for event `id`, so a retry of the push gets the same. */
  setAnswer(id: string, answer: string): Promise<void>;
  /** Up to `limit` events of `partition` after `after` (null: from the oldest kept), oldest first. */
  readPartition(partition: number, after: string | null, limit: number): Promise<LoggedEvent[]>;
  /** Up to `limit` events of `appid` after `after`, oldest first: the pull API's read. */
  readAppid(appid: string, after: string | null, limit: number): Promise<LoggedEvent[]>;
  /**
   * The cursor of the newest event of `partition`, or null when it holds none: where a consumer
   * added at runtime starts, so it gets events from now on rather than the whole log.
   */
  latestCursor(partition: number): Promise<string | null>;
  /** A consumer's position in a partition; a never-written one has version 0 and cursor null. */
  getPosition(consumer: string, partition: number): Promise<Position>;
  /** Writes `next` only if the stored version is `expectedVersion`; false when someone else wrote. */
  setPosition(
    consumer: string,
    partition: number,
    expectedVersion: number,
    next: PositionInput,
  ): Promise<boolean>;
  addDeadLetter(letter: DeadLetter): Promise<void>;
  /** The consumer's dead letters, oldest first. */
  deadLetters(consumer: string, limit: number): Promise<DeadLetter[]>;
  /** Removes one dead letter (after a successful replay); true when it was there. */
  removeDeadLetter(consumer: string, eventId: string): Promise<boolean>;
  /**
   * Calls `listener` soon after any process appends an event (pub/sub or a cheap poll), so
   * delivery workers and long polls wake without busy waiting. Resolves an unsubscribe function.
   */
  watch(listener: () => void): Promise<() => void>;
  /** Drops events (not dead letters) logged before `before` (epoch ms); resolves how many. */
  trim(before: number): Promise<number>;
}

/** The partition of a user's events: FNV-1a of the openid, so every hub agrees without a lookup. */
export function partitionOf(openid: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < openid.length; i++) {
    hash ^= openid.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
