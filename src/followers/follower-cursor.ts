import type { FollowerCursor } from '../db/index.js';
import { WxhubError } from '../errors/index.js';

/** Longest cursor accepted: a follow time and a 128-character openid fit with room to spare. */
export const MAX_CURSOR_LENGTH = 256;

const refused = () =>
  new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'cursor: is not a next_cursor this API answered');

/**
 * The `next_cursor` of the follower list: opaque to callers (base64url of the last follower's
 * follow time and openid), so the order can change without breaking them.
 */
export function encodeCursor(cursor: FollowerCursor): string {
  return Buffer.from(JSON.stringify([cursor.subscribeTime, cursor.openid])).toString('base64url');
}

/** Reads a `cursor` back; anything this API did not answer is `WXHUB_ERR_INVALID_ARGUMENT` (400). */
export function decodeCursor(text: string): FollowerCursor {
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw refused();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refused();
  }
  if (!Array.isArray(value) || value.length !== 2) throw refused();
  const [subscribeTime, openid] = value as [unknown, unknown];
  const timeOk =
    subscribeTime === null || (Number.isSafeInteger(subscribeTime) && (subscribeTime as number) >= 0);
  if (!timeOk || typeof openid !== 'string' || openid.length === 0 || openid.length > 128) throw refused();
  return { subscribeTime: subscribeTime as number | null, openid };
}
