import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ClientKeyRecord } from '../../db/index.js';
import type { ClientKeys } from '../../hub/keys/client-keys.js';
import type { Clock } from '../../util/clock.js';
import { parseCookies, serializeCookie } from '../http/cookies.js';
import type { ValueSigner } from '../http/signed-value.js';

/** The dashboard's session cookie (Path=/admin, HttpOnly, SameSite=Strict). */
export const ADMIN_COOKIE = 'wxhub_admin_session';
const PURPOSE = 'admin-session';
const CSRF_PURPOSE = 'admin-csrf';

/** A signed-in operator: the admin key's id (never the key) and the session's CSRF token. */
export interface AdminSession {
  readonly keyId: string;
  readonly keyName: string;
  readonly csrf: string;
  readonly expiresAt: number;
}

/** A signer, or how to get one on first use (a hub reads its secret from the database). */
export type SignerSource = ValueSigner | (() => Promise<ValueSigner>);

/**
 * Dashboard sessions: a key with the `admin` scope, verified by the hub's ClientKeys, buys a
 * signed cookie holding the key's id, valid `ttlMs`. Each request re-checks that the key is still
 * active and still admin (through ClientKeys' short cache), so revoking the key ends its sessions.
 */
export class AdminSessions {
  readonly #source: SignerSource;
  #signer: Promise<ValueSigner> | undefined;

  constructor(
    private readonly keys: ClientKeys,
    signer: SignerSource,
    private readonly clock: Clock,
    readonly ttlMs: number,
  ) {
    this.#source = signer;
  }

  /** The signer; a failed load (the database away) is tried again on the next request. */
  #loadSigner(): Promise<ValueSigner> {
    const source = this.#source;
    if (typeof source !== 'function') return Promise.resolve(source);
    this.#signer ??= source().catch((err: unknown) => {
      this.#signer = undefined;
      throw err;
    });
    return this.#signer;
  }

  /** The admin record a presented key belongs to, or null (malformed, unknown, revoked, not admin). */
  async verifyKey(presented: string): Promise<ClientKeyRecord | null> {
    const record = await this.keys.verify(presented.trim());
    return record?.scopes.includes('admin') ? record : null;
  }

  /** A `Set-Cookie` that signs `record` in. */
  async signIn(request: FastifyRequest, record: ClientKeyRecord): Promise<string> {
    const value = (await this.#loadSigner()).sign(
      PURPOSE,
      { kid: record.id, sid: randomBytes(12).toString('base64url') },
      this.clock.now() + this.ttlMs,
    );
    return this.#cookie(request, value, this.ttlMs / 1000);
  }

  /** A `Set-Cookie` that clears the session. */
  signOut(request: FastifyRequest): string {
    return this.#cookie(request, '', 0);
  }

  /** The request's session, or null: no cookie, forged, expired, key revoked or no longer admin. */
  async read(request: FastifyRequest): Promise<AdminSession | null> {
    const cookie = parseCookies(request.headers.cookie).get(ADMIN_COOKIE);
    if (!cookie) return null;
    const signer = await this.#loadSigner();
    const payload = signer.verify(PURPOSE, cookie, this.clock.now());
    if (!payload || typeof payload.kid !== 'string' || typeof payload.sid !== 'string') return null;
    const record = await this.keys.lookup(payload.kid);
    if (!record || record.revokedAt !== null || !record.scopes.includes('admin')) return null;
    return {
      keyId: record.id,
      keyName: record.name,
      csrf: signer.mac(CSRF_PURPOSE, payload.sid),
      expiresAt: payload.exp as number,
    };
  }

  /** True when a form's `_csrf` field matches the session. */
  checkCsrf(session: AdminSession, presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const a = Buffer.from(presented, 'utf8');
    const b = Buffer.from(session.csrf, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  #cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
    return serializeCookie(ADMIN_COOKIE, value, {
      path: '/admin',
      maxAge: maxAgeSeconds,
      sameSite: 'Strict',
      secure: request.protocol === 'https',
    });
  }
}
