import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring values for cookies: `base64url(JSON payload) . base64url(HMAC-SHA256)`. The
 * MAC covers a purpose label too, so a value signed for one cookie (the demo site's session) is
 * refused as another (the dashboard's). Payloads are signed, not encrypted: they hold nothing
 * secret (a key id, a profile the user already sees).
 */
export class ValueSigner {
  readonly #key: Buffer;

  /** `key`: at least 32 bytes of secret (a string is taken as its UTF-8 bytes). */
  constructor(key: string | Buffer) {
    this.#key = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    if (this.#key.length < 32) throw new RangeError('key: the signing key must be at least 32 bytes');
  }

  /** Signs `payload` for `purpose`, valid until `expiresAt` (epoch ms). */
  sign(purpose: string, payload: Record<string, unknown>, expiresAt: number): string {
    const body = Buffer.from(JSON.stringify({ ...payload, exp: expiresAt }), 'utf8').toString('base64url');
    return `${body}.${this.#mac(purpose, body)}`;
  }

  /**
   * The payload of a value this signer made for `purpose` and that has not expired at `now`;
   * null for anything else (forged, tampered, another purpose, expired, malformed).
   */
  verify(purpose: string, value: string | undefined, now: number): Record<string, unknown> | null {
    if (!value) return null;
    const dot = value.indexOf('.');
    if (dot <= 0 || dot !== value.lastIndexOf('.')) return null;
    const body = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#mac(purpose, body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
    const exp = (payload as { exp?: unknown }).exp;
    if (typeof exp !== 'number' || !(now < exp)) return null;
    return payload as Record<string, unknown>;
  }

  /** A MAC of `text` for `purpose` (CSRF tokens derived from a session). */
  mac(purpose: string, text: string): string {
    return this.#mac(purpose, text);
  }

  /** Constant-time comparison of a presented MAC with the expected one. */
  macEquals(purpose: string, text: string, presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const a = Buffer.from(presented, 'utf8');
    const b = Buffer.from(this.#mac(purpose, text), 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  #mac(purpose: string, body: string): string {
    return createHmac('sha256', this.#key).update(`${purpose}\n${body}`).digest('base64url');
  }
}
