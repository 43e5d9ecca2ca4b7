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

/**
 * Dashboard sessions: a key with the `admin` scope, verified by the hub's ClientKeys, buys a
 * signed cookie holding the key's id, valid `ttlMs`. Each request re-checks that the key is still
 * active and still admin (through ClientKeys' short cache), so revoking the key ends its sessions.
 */
export class AdminSessions {
  constructor(
    private readonly keys: ClientKeys,
    private readonly signer: ValueSigner,
    private readonly clock: Clock,
    readonly ttlMs: number,
  ) {}

  /** The admin record a presented key belongs to, or null (malformed, unknown, revoked, not admin). */
  async verifyKey(presented: string): Promise<ClientKeyRecord | null> {
    const record = await this.keys.verify(presented.trim());
    return record?.scopes.includes('admin') ? record : null;
  }

  /** A `Set-Cookie` that signs `record` in. */
  signIn(request: FastifyRequest, record: ClientKeyRecord): string {
    const value = this.signer.sign(
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
    const payload = this.signer.verify(
      PURPOSE,
      parseCookies(request.headers.cookie).get(ADMIN_COOKIE),
      this.clock.now(),
    );
    if (!payload || typeof payload.kid !== 'string' || typeof payload.sid !== 'string') return null;
    const record = await this.keys.lookup(payload.kid);
    if (!record || record.revokedAt !== null || !record.scopes.includes('admin')) return null;
    return {
      keyId: record.id,
      keyName: record.name,
      csrf: this.signer.mac(CSRF_PURPOSE, payload.sid),
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
