import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccountConfig } from '../../config/index.js';
import type { RateLimit, Scope } from '../../db/index.js';
import type { HubServices } from '../hub-services.js';
import { looksLikeClientKey } from '../keys/client-key-format.js';
import { hasAppid, hasScope } from '../keys/permissions.js';

/** Who is calling a drop-in path, for rate limiting and the stand-in's `keyId`. */
export interface DropInCaller {
  /** The client key id, or null when the real appsecret was accepted. */
  readonly keyId: string | null;
  /** The rate-limit bucket: the key, or the account for appsecret callers. */
  readonly bucket: string;
  readonly rateLimit: RateLimit | null;
}

/**
 * Checks what a caller put where WeChat expects the appsecret (`secret=` of `/cgi-bin/token` and
 * `/sns/oauth2/access_token`): a client key with `scope` for the appid, or, only when the account
 * sets `allowSecretInDropIn`, the real appsecret (compared in constant time). Null: refuse.
 */
export async function checkDropInSecret(
  hub: HubServices,
  account: AccountConfig,
  secret: string,
  scope: Scope,
): Promise<DropInCaller | null> {
  if (looksLikeClientKey(secret)) {
    const key = await hub.keys.verify(secret);
    if (!key || !hasScope(key, scope) || !hasAppid(key, account.appid)) return null;
    return { keyId: key.id, bucket: `key:${key.id}`, rateLimit: key.rateLimit };
  }
  if (account.allowSecretInDropIn && sameSecret(secret, account.secret)) {
    return { keyId: null, bucket: `appsecret:${account.appid}`, rateLimit: null };
  }
  return null;
}

/** Constant-time comparison of two secrets of any length (hashes first, so lengths don't leak). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The configured account of an appid, or undefined. */
export function accountOf(hub: HubServices, appid: string): AccountConfig | undefined {
  return hub.config.accounts.find((a) => a.appid === appid);
}
