import { WxhubError } from '../../errors/index.js';
import type { PushEvent } from '../receive/push-event.js';
import type { DeadLetter, LoggedEvent, Position } from './event-log.js';

/** What the durable backends share: rows to records, and the checks on a read's arguments. */

/** A consumer's position before its first write. */
export const START_POSITION: Position = Object.freeze({
  cursor: null,
  attempts: 0,
  notBefore: 0,
  lastError: null,
  version: 0,
});

/** A position as SQLite and PostgreSQL return it (pg gives bigint columns as text). */
export interface PositionRow {
  readonly cursor: string | null;
  readonly attempts: number | string;
  readonly not_before: number | string;
  readonly last_error: string | null;
  readonly version: number | string;
}

export function toPosition(row: PositionRow | undefined): Position {
  if (!row) return START_POSITION;
  return {
    cursor: row.cursor,
    attempts: Number(row.attempts),
    notBefore: Number(row.not_before),
    lastError: row.last_error,
    version: Number(row.version),
  };
}

/** A dead letter as SQLite and PostgreSQL return it. */
export interface DeadLetterRow {
  readonly consumer: string;
  readonly event: string;
  readonly error: string;
  readonly attempts: number | string;
  readonly at: number | string;
}

export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    consumer: row.consumer,
    event: parseEvent(row.event),
    error: row.error,
    attempts: Number(row.attempts),
    at: Number(row.at),
  };
}

/** An event as the log stores it: its webhook JSON. */
export function parseEvent(json: string): PushEvent {
  return JSON.parse(json) as PushEvent;
}

export function logged(cursor: string, partition: number | string, event: string): LoggedEvent {
  return { cursor, partition: Number(partition), event: parseEvent(event) };
}

/** The `limit` of a read: a positive integer (every caller reads at least one event). */
export function checkLimit(limit: unknown): asserts limit is number {
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'limit must be a positive integer');
}

/**
 * `after` checked against the backend's cursor syntax. It may come from a consumer (the pull
 * API's `after=`), so a cursor of another backend or a made-up one is a 400, not a driver error.
 */
export function checkCursor(after: string | null, syntax: RegExp): string | null {
  if (after === null) return null;
  if (typeof after !== 'string' || !syntax.test(after))
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'after is not a cursor of this event log');
  return after;
}
