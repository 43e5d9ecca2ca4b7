import type { IncomingHttpHeaders } from 'node:http';
import type { ClientKeyRecord } from '../../db/index.js';
import type { ErrorCode } from '../../errors/index.js';
import { keyRefusal } from '../http/key-gate.js';
import type { HubServices } from '../hub-services.js';
import { looksLikeClientKey } from '../keys/client-key-format.js';
import { accountOf, type DropInCaller, type DropInRefusal, refusal } from './drop-in-credentials.js';
import type { StandInClaims } from './stand-in-tokens.js';
import { weChatFailure } from './wechat-body.js';

/** A proxied call the hub will make for `appid`, on behalf of `caller`. */
export interface ProxyCaller extends DropInCaller {
  readonly appid: string;
}

/** Why an `access_token` was refused: WeChat's 40001 (or 41002 / 40013), with no upstream call. */
export type ProxyRefusal = DropInRefusal;

/**
 * Decides what a proxied request's `access_token` stands for. Accepted: a stand-in this fleet
 * signed, younger than 7200 s, whose issuing key is not revoked; or a client key with the `proxy`
 * scope, for its single appid or the one named by `?appid=` / `X-Wxhub-Appid`.
 */
export async function resolveProxyCaller(
  hub: HubServices,
  headers: IncomingHttpHeaders,
  token: string | null,
  queryAppid: string | null,
): Promise<ProxyCaller | ProxyRefusal> {
  const known = cachedProxyCaller(hub, headers, token, queryAppid);
  if (known !== undefined || !token) return known ?? missingToken();
  if (looksLikeClientKey(token)) return keyCaller(hub, headers, await hub.keys.verify(token), queryAppid);
  const claims = await hub.standIns.verify(token);
  return standInCaller(hub, claims, claims?.keyId ? await hub.keys.lookup(claims.keyId) : null);
}

/**
 * resolveProxyCaller() decided from memory alone (verified stand-ins, cached keys), without
 * waiting; `undefined` when the store or database must be asked.
 */
export function cachedProxyCaller(
  hub: HubServices,
  headers: IncomingHttpHeaders,
  token: string | null,
  queryAppid: string | null,
): ProxyCaller | ProxyRefusal | undefined {
  if (!token) return missingToken();
  if (looksLikeClientKey(token)) {
    const key = hub.keys.verifyCached(token);
    return key === undefined ? undefined : keyCaller(hub, headers, key, queryAppid);
  }
  const claims = hub.standIns.verifyCached(token);
  if (claims === undefined) return undefined;
  if (!claims?.keyId) return standInCaller(hub, claims, null);
  const key = hub.keys.lookupCached(claims.keyId);
  return key === undefined ? undefined : standInCaller(hub, claims, key);
}

function refuse(detail: string, reason: string, code: ErrorCode = 'WXHUB_ERR_UNAUTHORIZED'): ProxyRefusal {
  const errcode =
    code === 'WXHUB_ERR_INVALID_ARGUMENT' ? 41002 : code === 'WXHUB_ERR_UNKNOWN_ACCOUNT' ? 40013 : 40001;
  return refusal(weChatFailure(code, errcode, detail), reason);
}

function missingToken(): ProxyRefusal {
  return refuse('access_token missing: use the token from this hub /cgi-bin/token', 'missing_token');
}

/** A client key presented as the `access_token` (null: unknown, wrong or revoked). */
function keyCaller(
  hub: HubServices,
  headers: IncomingHttpHeaders,
  key: ClientKeyRecord | null,
  queryAppid: string | null,
): ProxyCaller | ProxyRefusal {
  if (!key) return refuse('client key unknown, wrong or revoked', 'invalid_key');
  const header = headers['x-wxhub-appid'];
  const named = queryAppid ?? (typeof header === 'string' && header ? header : null);
  const appid = named ?? (key.appids.length === 1 && !key.scopes.includes('admin') ? key.appids[0]! : null);
  if (!appid) {
    const detail = 'client key has several appids: name one with ?appid= or X-Wxhub-Appid';
    return refuse(detail, 'appid', 'WXHUB_ERR_INVALID_ARGUMENT');
  }
  const denied = keyRefusal(hub, key, 'proxy', appid);
  if (denied) return refuse(denied.message, denied.reason ?? 'appid', denied.code);
  return { appid, keyId: key.id, bucket: `key:${key.id}`, rateLimit: key.rateLimit };
}

/** A stand-in's claims (null: not valid) and the record of the key that obtained it, if any. */
function standInCaller(
  hub: HubServices,
  claims: StandInClaims | null,
  key: ClientKeyRecord | null,
): ProxyCaller | ProxyRefusal {
  if (!claims)
    return refuse('access_token is not one this hub issued, or is older than 7200 s', 'invalid_token');
  if (!accountOf(hub, claims.appid))
    return refuse('access_token is for an appid no longer configured', 'invalid_token');
  if (claims.keyId === null) {
    return { appid: claims.appid, keyId: null, bucket: `appsecret:${claims.appid}`, rateLimit: null };
  }
  if (!key || key.revokedAt !== null)
    return refuse('the client key that obtained this access_token is revoked', 'revoked');
  return { appid: claims.appid, keyId: key.id, bucket: `key:${key.id}`, rateLimit: key.rateLimit };
}

export function isRefusal(value: ProxyCaller | ProxyRefusal): value is ProxyRefusal {
  return 'errcode' in value;
}
