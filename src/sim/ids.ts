import { createHash, randomBytes } from 'node:crypto';

/**
 * Identifier generators. Shapes follow what WeChat hands out: credentials of 100–512 characters
 * of `[A-Za-z0-9_-]` (base64url), openids like `oLVPpjqs9BhvzwPj5A-vTYAX3GLc` and request ids
 * `xxxxxxxx-xxxxxxxx-xxxxxxxx` (three 8-hex groups).
 */

/** base64url of n random bytes is ceil(4n/3) characters of `[A-Za-z0-9_-]`. */
function randomChars(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4))
    .toString('base64url')
    .slice(0, length);
}

/** A global or web access_token: 160 characters (real ones are ~136–157; room up to 512). */
export function newAccessToken(): string {
  return randomChars(160);
}

/** A web-authorization refresh_token. */
export function newRefreshToken(): string {
  return randomChars(160);
}

/** A JS-SDK or card ticket: 120 characters. */
export function newTicket(): string {
  return randomChars(120);
}

/** An OAuth code: 32 characters, like WeChat's. */
export function newCode(): string {
  return randomChars(32);
}

/** An openid: `o` + 27 characters. */
export function newOpenid(): string {
  return `o${randomChars(27)}`;
}

/** A unionid: `o` + 27 characters (WeChat's look the same as openids). */
export function newUnionid(): string {
  return `o${randomChars(27)}`;
}

/** A stable id derived from a seed: `o` + 27 characters, for fixtures that must not change. */
export function seededOpenid(seed: string): string {
  return `o${createHash('sha256').update(seed).digest('base64url').slice(0, 27)}`;
}

/** The id in a generated avatar URL (`/mmopen/ID/132`), stable for a given seed. */
export function avatarIdFor(seed: string): string {
  return createHash('sha256').update(`avatar:${seed}`).digest('base64url').slice(0, 24);
}

/** A WeChat request id: three groups of 8 lowercase hex digits. */
export function newRid(): string {
  const hex = randomBytes(12).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 16)}-${hex.slice(16, 24)}`;
}
