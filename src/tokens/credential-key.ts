import type { TicketType } from './fetchers.js';

/** What the engine keeps per account: the access_token and the two ticket kinds. */
export type CredentialKind = 'access_token' | TicketType;

/** The store key of a credential: `token:APPID`, `ticket:jsapi:APPID`, `ticket:wx_card:APPID`. */
export function tokenKey(kind: CredentialKind, appid: string): string {
  return kind === 'access_token' ? `token:${appid}` : `ticket:${kind}:${appid}`;
}

/** The kind and appid of a store key made by tokenKey. */
export function parseKey(key: string): { kind: CredentialKind; appid: string } {
  if (key.startsWith('token:')) return { kind: 'access_token', appid: key.slice(6) };
  const [, kind, appid] = key.split(':') as [string, TicketType, string];
  return { kind, appid };
}
