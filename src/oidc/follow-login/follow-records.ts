import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * What a follow-to-log-in keeps in the hub's store (shared by a fleet, so any hub may serve the
 * page and any hub may receive the push): four single-use keys with a TTL.
 *
 * - `follow:login:ID` the record the page reads on every poll (`getDocument`), taken by `result`;
 * - `follow:scene:APPID:SCENE` the login's ID, for the push that carries the scene;
 * - `follow:claim:ID` present until the first browser claims the page (and gets the cookie);
 * - `follow:done:ID` the scanner's openid, written once by the first matching push.
 */

/** A follow-to-log-in as the page needs it. */
export interface FollowRecord {
  readonly appid: string;
  /** The QR code's `scene_str`. */
  readonly scene: string;
  /** WeChat's ticket: the image is `{mpBase}/cgi-bin/showqrcode?ticket=`. */
  readonly ticket: string;
  /** Where the bound browser goes once the scan's event arrived. */
  readonly continueUrl: string;
  /** Epoch ms when the QR code stops working. */
  readonly expiresAt: number;
  /** SHA-256 (base64url) of the binding cookie's value: the store never holds the cookie itself. */
  readonly binding: string;
}

/** Who scanned: written by the push, read once by `result`. */
export interface FollowOutcome {
  readonly appid: string;
  readonly openid: string;
  /** `subscribe` (a new follower) or `SCAN` (already following). */
  readonly event: 'subscribe' | 'SCAN';
}

export const loginKey = (id: string) => `follow:login:${id}`;
export const sceneKey = (appid: string, scene: string) => `follow:scene:${appid}:${scene}`;
export const claimKey = (id: string) => `follow:claim:${id}`;
export const doneKey = (id: string) => `follow:done:${id}`;

/** The stored form of a binding secret. */
export function bindingHash(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** True when `secret` is the binding `record` was started with (constant time). */
export function bindingMatches(record: Pick<FollowRecord, 'binding'>, secret: string | undefined): boolean {
  if (!secret) return false;
  const presented = Buffer.from(bindingHash(secret));
  const expected = Buffer.from(record.binding);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

function parse<T>(raw: string | null, check: (value: Record<string, unknown>) => boolean): T | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as unknown;
    return typeof value === 'object' && value !== null && check(value as Record<string, unknown>)
      ? (value as T)
      : null;
  } catch {
    return null;
  }
}

/** A stored record, or null when absent or not one of ours. */
export function parseRecord(raw: string | null): FollowRecord | null {
  return parse<FollowRecord>(
    raw,
    (v) =>
      typeof v.appid === 'string' &&
      typeof v.scene === 'string' &&
      typeof v.ticket === 'string' &&
      typeof v.continueUrl === 'string' &&
      typeof v.expiresAt === 'number' &&
      typeof v.binding === 'string',
  );
}

/** A stored outcome, or null. */
export function parseOutcome(raw: string | null): FollowOutcome | null {
  return parse<FollowOutcome>(
    raw,
    (v) => typeof v.appid === 'string' && typeof v.openid === 'string' && typeof v.event === 'string',
  );
}
