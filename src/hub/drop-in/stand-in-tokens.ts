import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../util/clock.js';
import type { SigningKey, SigningKeyRing } from './signing-key-ring.js';

/** What a valid stand-in token says. */
export interface StandInClaims {
  readonly appid: string;
  /** Epoch seconds. */
  readonly issuedAt: number;
  /** The client key that obtained it; null when the real appsecret did (allowSecretInDropIn). */
  readonly keyId: string | null;
}

/** A stand-in lives exactly as long as WeChat says a token does. */
export const STAND_IN_LIFETIME_SECONDS = 7200;
/** Hubs of a fleet may disagree on the time by this much. */
const FUTURE_SKEW_SECONDS = 300;
const VERSION = 1;
const MAC_BYTES = 32;
const NONCE_BYTES = 32;
/** version(1) kid(8) issuedAt(4) nonce(32) keyIdLen(1) appidLen(1) mac(32), before the strings. */
const FIXED_BYTES = 1 + 8 + 4 + NONCE_BYTES + 1 + 1 + MAC_BYTES;
/** Verified stand-ins remembered per hub; past this the memory is dropped and refilled. */
const MAX_VERIFIED = 10_000;

/**
 * The drop-in `/cgi-bin/token` hands out stand-ins, never WeChat's token: a base64url string
 * (107-212 characters of `[A-Za-z0-9_-]`, so it fits wherever a WeChat token fits) carrying the
 * appid, the issue time, the issuing key and a nonce, HMAC-SHA256-signed with the ring's key.
 * Verification needs no lookup, so any hub sharing the key accepts any other hub's stand-ins,
 * for 7200 s, however often the real token rotates meanwhile.
 *
 * Layout: `01 | kid(8) | issuedAt u32 BE | nonce(32) | keyIdLen | keyId | appidLen | appid | mac(32)`.
 */
export class StandInTokens {
  /**
   * Stand-ins already verified, with the key that verified them: legacy code sends the same one
   * for up to 7200 s, and an HMAC per proxied call was its largest cost. A hit counts only while
   * the ring still holds that key object (a reload or a removed key means verifying again), and
   * the age is checked on every call.
   */
  readonly #verified = new Map<string, { readonly claims: StandInClaims; readonly key: SigningKey }>();

  constructor(
    private readonly ring: SigningKeyRing,
    private readonly clock: Clock,
  ) {}

  issue(appid: string, keyId: string | null): string {
    const key = this.ring.current();
    const appidBytes = Buffer.from(appid, 'utf8');
    const keyIdBytes = Buffer.from(keyId ?? '', 'utf8');
    const head = Buffer.alloc(1 + 8 + 4);
    head.writeUInt8(VERSION, 0);
    key.kid.copy(head, 1);
    head.writeUInt32BE(Math.floor(this.clock.now() / 1000), 9);
    const body = Buffer.concat([
      head,
      randomBytes(NONCE_BYTES),
      Buffer.from([keyIdBytes.length]),
      keyIdBytes,
      Buffer.from([appidBytes.length]),
      appidBytes,
    ]);
    return Buffer.concat([body, mac(key.secret, body)]).toString('base64url');
  }

  /** The claims of a stand-in this fleet signed and younger than 7200 s, or null. */
  async verify(token: string): Promise<StandInClaims | null> {
    const known = this.verifyCached(token);
    if (known !== undefined) return known;
    if (token.length < 100 || token.length > 400 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    // Non-canonical base64url (stray trailing bits) would be a second spelling of one token.
    if (bytes.length < FIXED_BYTES || bytes[0] !== VERSION || bytes.toString('base64url') !== token)
      return null;
    const body = bytes.subarray(0, bytes.length - MAC_BYTES);
    const keyIdLen = body[1 + 8 + 4 + NONCE_BYTES]!;
    const appidAt = 1 + 8 + 4 + NONCE_BYTES + 1 + keyIdLen;
    const appidLen = body[appidAt];
    if (appidLen === undefined || appidAt + 1 + appidLen !== body.length || appidLen === 0) return null;
    const key = await this.ring.find(body.subarray(1, 9));
    if (!key || !timingSafeEqual(mac(key.secret, body), bytes.subarray(body.length))) return null;
    const issuedAt = body.readUInt32BE(9);
    if (!this.#live(issuedAt)) return null;
    const keyId = body.subarray(appidAt - keyIdLen, appidAt).toString('utf8');
    const claims = { appid: body.subarray(appidAt + 1).toString('utf8'), issuedAt, keyId: keyId || null };
    if (this.#verified.size >= MAX_VERIFIED) this.#verified.clear();
    this.#verified.set(token, { claims, key });
    return claims;
  }

  /** verify() for a stand-in verified before, without waiting; `undefined` for any other. */
  verifyCached(token: string): StandInClaims | null | undefined {
    const hit = this.#verified.get(token);
    if (hit === undefined || !this.ring.holds(hit.key)) return undefined;
    return this.#live(hit.claims.issuedAt) ? hit.claims : null;
  }

  /** Younger than 7200 s, and not from further in the future than hubs' clocks may disagree. */
  #live(issuedAt: number): boolean {
    const now = this.clock.now() / 1000;
    return now - issuedAt < STAND_IN_LIFETIME_SECONDS && issuedAt - now <= FUTURE_SKEW_SECONDS;
  }
}

function mac(secret: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}
