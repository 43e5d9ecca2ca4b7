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

/** An Official Account's original id (`gh_` + 12 hex digits), derived from its appid. */
export function defaultOriginalId(appid: string): string {
  return `gh_${createHash('sha256').update(`gh:${appid}`).digest('hex').slice(0, 12)}`;
}

/** A string of `length` random decimal digits, not starting with 0. */
function randomDigits(length: number): string {
  const bytes = randomBytes(length);
  let out = String(1 + (bytes[0]! % 9));
  for (let i = 1; i < length; i++) out += String(bytes[i]! % 10);
  return out;
}

/**
 * A message id: a 19-digit decimal above 2^53, like WeChat's 64-bit MsgId (a receiver that
 * parses it as a JavaScript number loses digits; it must be kept a string).
 */
export function newMsgId(): string {
  const value = (randomBytes(8).readBigUInt64BE() >> 2n) | (1n << 60n);
  return value.toString();
}

/** A push or URL-check nonce: 10 digits, like WeChat's. */
export function newNonce(): string {
  return randomDigits(10);
}

/** The URL check's echostr: 19 digits, like WeChat's. */
export function newEchostr(): string {
  return randomDigits(19);
}

/** The 16 random characters that open an encrypted message (WeChat sends 16 hex characters). */
export function newMessageRandom(): string {
  return randomBytes(8).toString('hex');
}

/** A media id as WeChat shows in pushes: 64 characters of `[A-Za-z0-9_-]`. */
export function newMediaId(): string {
  return randomChars(64);
}

/** The id in a QR code's `url` (`http://weixin.qq.com/q/ID`): 22 characters. */
export function newQrUrlId(): string {
  return `02${randomChars(20)}`;
}

/**
 * A QR ticket: `gQ…`, standard base64 that embeds the code's url like WeChat's, so it holds
 * `+`, `/` and `=` that a caller must percent-encode in `showqrcode?ticket=`.
 */
export function newQrTicket(url: string): string {
  // 0x81 and a byte below 0x10 open every WeChat ticket, hence its `gQ` prefix.
  const head = Buffer.from([0x81, randomBytes(1)[0]! & 0x0f]);
  return Buffer.concat([head, randomBytes(10), Buffer.from(url), randomBytes(13)]).toString('base64');
}
