import type { SimAccount } from '../state/account.js';
import type { AccountRegistry } from '../state/accounts.js';
import type { OAuthScope } from '../state/oauth-grants.js';

/** The order WeChat's authorize link must keep (it is matched by a strict regex). */
export const AUTHORIZE_ORDER = ['appid', 'redirect_uri', 'response_type', 'scope', 'state'] as const;
const STATE = /^[a-zA-Z0-9]{0,128}$/;

/**
 * `authorize`: an Official Account's web authorization (open.weixin.qq.com/connect/oauth2/authorize).
 * `qrconnect`: a website app's QR login (open.weixin.qq.com/connect/qrconnect).
 */
export type AuthorizeFlow = 'authorize' | 'qrconnect';

const FLOW_SCOPES: Readonly<Record<AuthorizeFlow, ReadonlySet<string>>> = {
  authorize: new Set(['snsapi_base', 'snsapi_userinfo']),
  qrconnect: new Set(['snsapi_login']),
};

/** A validated authorize request. */
export interface AuthorizeRequest {
  readonly flow: AuthorizeFlow;
  readonly account: SimAccount;
  /** redirect_uri, normalised by the URL parser (so it is safe in a Location header). */
  readonly redirectUri: string;
  readonly scope: OAuthScope;
  /** '' when the link has none. */
  readonly state: string;
}

export type AuthorizeCheck =
  | { readonly ok: true; readonly request: AuthorizeRequest }
  | { readonly ok: false; readonly errcode: number; readonly detail: string };

/** Query parameters in the order they appear; undefined when the encoding is broken. */
export function parseOrderedQuery(raw: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    try {
      pairs.push([
        decodeURIComponent(key.replace(/\+/g, ' ')),
        decodeURIComponent(value.replace(/\+/g, ' ')),
      ]);
    } catch {
      return undefined;
    }
  }
  return pairs;
}

function fail(errcode: number, detail: string): AuthorizeCheck {
  return { ok: false, errcode, detail };
}

/**
 * Checks an authorize or qrconnect link the way open.weixin.qq.com does, first problem wins:
 * appid (10012 empty or unknown; on the authorize page a website app's appid is 10016, "not an
 * Official Account appid"), redirect_uri (10011 empty), scope (10010 empty, 10005 unknown for
 * the flow: `snsapi_base`/`snsapi_userinfo` to authorize, `snsapi_login` to qrconnect, so an
 * Official Account's appid on qrconnect is 10005 too, WeChat's "Scope 参数错误或没有 Scope 权限"),
 * parameter order and response_type=code (10005: the strict regex fails, which WeChat reports
 * as a scope error), state (`[a-zA-Z0-9]`, ≤ 128 bytes; 10005 too), then the redirect_uri host
 * against the account's oauthDomains (10003; ports ignored).
 * `#wechat_redirect` is a fragment the browser never sends, so it cannot be checked here.
 */
export function checkAuthorize(
  pairs: ReadonlyArray<readonly [string, string]>,
  accounts: AccountRegistry,
  options: { checkOrder: boolean; flow: AuthorizeFlow },
): AuthorizeCheck {
  const { flow } = options;
  const first = (name: string): string | undefined => pairs.find(([k]) => k === name)?.[1];
  const appid = first('appid');
  if (!appid) return fail(10012, 'appid is empty');
  const account = accounts.get(appid);
  if (!account) return fail(10012, `appid ${appid} is not a simulated account`);
  const website = account.settings.kind === 'website';
  if (flow === 'authorize' && website) {
    return fail(
      10016,
      `${appid} is a website app: log in with /connect/qrconnect, or use the Official Account's appid`,
    );
  }
  const redirectUri = first('redirect_uri');
  if (!redirectUri) return fail(10011, 'redirect_uri is empty');
  const scope = first('scope');
  if (!scope) return fail(10010, 'scope is empty');
  const scopes = FLOW_SCOPES[flow];
  if (!scopes.has(scope)) return fail(10005, `scope ${scope} is not ${[...scopes].join(' or ')}`);
  if (flow === 'qrconnect' && !website) {
    return fail(
      10005,
      `${appid} is not a website app: only website apps (kind "website") log in with qrconnect`,
    );
  }
  if (options.checkOrder) {
    const keys = pairs.map(([k]) => k);
    const expected = keys.includes('state') ? AUTHORIZE_ORDER : AUTHORIZE_ORDER.slice(0, 4);
    if (expected.some((name, i) => keys[i] !== name)) {
      return fail(
        10005,
        `parameters must come in the order ${AUTHORIZE_ORDER.join(', ')}; got ${keys.join(', ')}`,
      );
    }
  }
  if (first('response_type') !== 'code') return fail(10005, 'response_type must be code');
  const state = first('state') ?? '';
  if (!STATE.test(state)) return fail(10005, 'state must be at most 128 characters of [a-zA-Z0-9]');
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return fail(10003, `redirect_uri ${redirectUri} is not an absolute URL`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const allowed = account.settings.oauthDomains.some((d) => d.replace(/^\[|\]$/g, '').toLowerCase() === host);
  if (!/^https?:$/.test(url.protocol) || !allowed) {
    return fail(
      10003,
      `redirect_uri host ${url.hostname} is not in oauthDomains of ${appid} (${account.settings.oauthDomains.join(', ') || 'none'})`,
    );
  }
  return { ok: true, request: { flow, account, redirectUri: url.href, scope: scope as OAuthScope, state } };
}

/**
 * redirect_uri with `code` and `state` added to its query, before any fragment (single-page apps
 * with hash routes get them where WeChat puts them); its own query parameters are kept.
 */
export function redirectWith(redirectUri: string, params: ReadonlyArray<readonly [string, string]>): string {
  const hash = redirectUri.indexOf('#');
  const base = hash === -1 ? redirectUri : redirectUri.slice(0, hash);
  const fragment = hash === -1 ? '' : redirectUri.slice(hash);
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${sep}${query}${fragment}`;
}
