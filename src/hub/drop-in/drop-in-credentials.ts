import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccountConfig } from '../../config/index.js';
import type { RateLimit, Scope } from '../../db/index.js';
import { keyRefusal } from '../http/key-gate.js';
import type { HubServices } from '../hub-services.js';
import { looksLikeClientKey } from '../keys/client-key-format.js';
import { type WeChatFailure, weChatFailure } from './wechat-body.js';

/** Who is calling a drop-in path, for rate limiting and the stand-in's `keyId`. */
export interface DropInCaller {
  /** The client key id, or null when the real appsecret was accepted. */
  readonly keyId: string | null;
  /** The rate-limit bucket: the key, or the account for appsecret callers. */
  readonly bucket: string;
  readonly rateLimit: RateLimit | null;
}

/** A drop-in refusal, with the `wxhub_auth_failures_total` reason when it is about credentials. */
export interface DropInRefusal extends WeChatFailure {
  readonly reason?: string;
}

export function refusal(failure: WeChatFailure, reason?: string): DropInRefusal {
  return reason === undefined ? failure : { ...failure, reason };
}

/**
 * Checks what a caller put where WeChat expects the appsecret (`secret=` of `/cgi-bin/token` and
 * `/sns/oauth2/access_token`): a client key with `scope` for the appid, or, only when the account
 * sets `allowSecretInDropIn`, the real appsecret (compared in constant time). Anything else is
 * WeChat's 40125, with `WXHUB_ERR_UNAUTHORIZED` (not a key, a wrong or revoked one) or
 * `WXHUB_ERR_FORBIDDEN` (a key without the scope, or for other appids).
 */
export async function checkDropInSecret(
  hub: HubServices,
  account: AccountConfig,
  secret: string,
  scope: Scope,
): Promise<DropInCaller | DropInRefusal> {
  const wrong = `secret must be a wxhub client key with the ${scope} scope for this appid`;
  if (looksLikeClientKey(secret)) {
    const key = await hub.keys.verify(secret);
    if (!key) return refusal(weChatFailure('WXHUB_ERR_UNAUTHORIZED', 40125, wrong), 'invalid_key');
    const denied = keyRefusal(hub, key, scope, account.appid);
    if (denied) return refusal(weChatFailure(denied.code, 40125, wrong), denied.reason);
    return { keyId: key.id, bucket: `key:${key.id}`, rateLimit: key.rateLimit };
  }
  if (account.allowSecretInDropIn && sameSecret(secret, account.secret)) {
    return { keyId: null, bucket: `appsecret:${account.appid}`, rateLimit: null };
  }
  return refusal(weChatFailure('WXHUB_ERR_UNAUTHORIZED', 40125, wrong), 'invalid_key');
}

/** The `appid`, `secret` (and `grant_type`) a drop-in call names, as it named them. */
export interface SecretParams {
  readonly appid: string | null | undefined;
  readonly secret: string | null | undefined;
  /** Checked only when given (the token route): WeChat answers 40002 between 41004 and 40013. */
  readonly grantType?: { readonly given: string | null | undefined; readonly expected: string };
}

/**
 * The caller of `/cgi-bin/token` or `/sns/oauth2/access_token`, or WeChat's refusal in WeChat's
 * order: 41002 no appid, 41004 no secret, 40002 wrong grant_type, 40013 unknown appid, 40125.
 */
export async function secretCaller(
  hub: HubServices,
  params: SecretParams,
  scope: Scope,
): Promise<{ account: AccountConfig; caller: DropInCaller } | DropInRefusal> {
  const { appid, secret, grantType } = params;
  if (!appid) return weChatFailure('WXHUB_ERR_INVALID_ARGUMENT', 41002);
  if (!secret) {
    const detail = `pass a wxhub client key with the ${scope} scope as secret`;
    return refusal(weChatFailure('WXHUB_ERR_UNAUTHORIZED', 41004, detail), 'missing_key');
  }
  if (grantType && grantType.given !== grantType.expected)
    return weChatFailure('WXHUB_ERR_INVALID_ARGUMENT', 40002);
  const account = accountOf(hub, appid);
  if (!account)
    return weChatFailure('WXHUB_ERR_UNKNOWN_ACCOUNT', 40013, 'appid is not configured in this hub');
  const caller = await checkDropInSecret(hub, account, secret, scope);
  return 'bucket' in caller ? { account, caller } : caller;
}

/** Takes one request from the caller's bucket: null, or WeChat's 45011 with the seconds to wait. */
export function overLimit(hub: HubServices, caller: DropInCaller): DropInRefusal | null {
  const decision = hub.limiter.take(caller.bucket, caller.rateLimit);
  if (decision.ok) return null;
  const wait = decision.retryAfterSeconds;
  return weChatFailure(
    'WXHUB_ERR_RATE_LIMITED',
    45011,
    `rate limit of this caller; retry in ${wait} s`,
    wait,
  );
}

/** Counts a refusal the hub is about to answer (auth failures by reason, rate limits). */
export function counted(hub: HubServices, failure: DropInRefusal): DropInRefusal {
  if (failure.code === 'WXHUB_ERR_RATE_LIMITED') hub.metrics.rateLimited('drop-in');
  else if (failure.reason !== undefined) hub.metrics.authFailure(failure.reason);
  return failure;
}

/** Constant-time comparison of two secrets of any length (hashes first, so lengths don't leak). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The served account of an appid (configuration file or runtime), or undefined. */
export function accountOf(hub: HubServices, appid: string): AccountConfig | undefined {
  return hub.accounts.served(appid);
}
