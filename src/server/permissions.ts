import type { ClientKeyRecord, Scope } from '../db/index.js';

/** True when the key holds `scope`; `admin` implies every scope. */
export function hasScope(key: ClientKeyRecord, scope: Scope): boolean {
  return key.scopes.includes('admin') || key.scopes.includes(scope);
}

/** True when the key may act for `appid`; `admin` implies every appid. */
export function hasAppid(key: ClientKeyRecord, appid: string): boolean {
  return key.scopes.includes('admin') || key.appids.includes(appid);
}
