import type { ClientKeyRecord, Scope } from '../../db/index.js';
import type { ErrorCode } from '../../errors/index.js';
import type { HubServices } from '../hub-services.js';
import { hasAppid, hasScope } from '../keys/permissions.js';

/** Why a verified client key may not make a request, and the `wxhub_auth_failures_total` reason. */
export interface KeyRefusal {
  readonly code: ErrorCode;
  readonly message: string;
  readonly reason?: 'scope' | 'appid';
}

/**
 * What a verified, active client key may do, decided from memory in the `/v1` gate's order: the
 * scope (`WXHUB_ERR_FORBIDDEN`), the appid configured (`WXHUB_ERR_UNKNOWN_ACCOUNT`), the key
 * given that appid (`WXHUB_ERR_FORBIDDEN`). Null: allowed. No I/O and no transport, so every
 * place that checks a key (the token fast lane, the drop-in token, the proxy, the code exchange)
 * asks this one function, and a fix to the rules lands once.
 */
export function keyRefusal(
  hub: Pick<HubServices, 'manager'>,
  key: ClientKeyRecord,
  scope: Scope,
  appid?: string,
): KeyRefusal | null {
  if (!hasScope(key, scope))
    return {
      code: 'WXHUB_ERR_FORBIDDEN',
      message: `client key ${key.id} lacks the ${scope} scope`,
      reason: 'scope',
    };
  if (appid === undefined) return null;
  if (!hub.manager.hasAccount(appid))
    return { code: 'WXHUB_ERR_UNKNOWN_ACCOUNT', message: 'appid is not configured in this hub' };
  if (!hasAppid(key, appid))
    return {
      code: 'WXHUB_ERR_FORBIDDEN',
      message: `client key ${key.id} is not for this appid`,
      reason: 'appid',
    };
  return null;
}
