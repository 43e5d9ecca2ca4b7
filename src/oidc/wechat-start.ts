import type { OAuthScope } from '../db/index.js';
import { putState } from '../oauth/login-state.js';
import type { OAuthContext } from '../oauth/oauth-context.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { INTERACTION_PATH } from './create-provider.js';
import { chooseLoginRoute, type FollowLoginPort, type LoginRoute } from './login-routing.js';

/** What starting a login at WeChat needs from the hub. */
export interface WeChatStartDeps {
  /** `{publicUrl}/oidc`. */
  readonly issuer: string;
  readonly login: OAuthContext;
  readonly store: Store;
  readonly clock: Clock;
  readonly followLogin?: FollowLoginPort;
}

/** A login in progress, as oidc-provider's Interaction holds it. */
export interface PendingLogin {
  readonly uid: string;
  /** When the interaction expires, epoch s. */
  readonly exp: number;
  /** The authorization request's parameters (`scope` is read). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** The client's WeChat accounts, as its oidc-provider metadata carries them. */
export interface ClientWeChat {
  readonly appid?: string;
  readonly website_appid?: string;
}

/** `snsapi_userinfo` (the consent page, the profile) when the client asks `profile`, else `snsapi_base`. */
export function wechatScope(params: PendingLogin['params']): OAuthScope {
  return String(params.scope ?? '')
    .split(' ')
    .includes('profile')
    ? 'snsapi_userinfo'
    : 'snsapi_base';
}

/** Where this browser logs in for this client (docs/oidc.md "Logging in"); null: the client has no appid. */
export function loginRouteFor(
  deps: WeChatStartDeps,
  userAgent: string | undefined,
  client: ClientWeChat | undefined,
): LoginRoute | null {
  if (!client?.appid) return null;
  const { followLogin } = deps;
  return chooseLoginRoute(
    userAgent,
    { appid: client.appid, ...(client.website_appid ? { websiteAppid: client.website_appid } : {}) },
    followLogin !== undefined && (followLogin.available?.(client.appid) ?? true),
  );
}

/** How long a record of this login may live: the state's lifetime, no longer than the interaction, ms. */
export function pendingTtlMs(deps: WeChatStartDeps, exp: number): number {
  return Math.max(1000, Math.min(deps.login.oauth.stateTtlSeconds * 1000, exp * 1000 - deps.clock.now()));
}

/**
 * Starts the WeChat side of a login routed to WeChat's web authorization or the website QR login:
 * a single-use state bound to the appid and this interaction (living no longer than it), and the
 * URL to send the browser to, which comes back to `{issuer}/interaction/UID/wechat/APPID`.
 */
export async function wechatAuthorizeUrl(
  deps: WeChatStartDeps,
  pending: PendingLogin,
  route: Extract<LoginRoute, { kind: 'web-authorization' | 'website-qr' }>,
): Promise<string> {
  const { login, store, clock } = deps;
  const base = `${deps.issuer}${INTERACTION_PATH}/${pending.uid}`;
  const scope = wechatScope(pending.params);
  const ttlMs = pendingTtlMs(deps, pending.exp);
  const state = await putState(
    store,
    { appid: route.appid, returnTo: base, scope, startedAt: clock.now(), oidcInteraction: pending.uid },
    ttlMs,
  );
  const redirectUri = `${base}/wechat/${route.appid}`;
  const wechat = login.client(route.appid).oauth;
  return route.kind === 'website-qr'
    ? wechat.qrConnectUrl({ redirectUri, state })
    : wechat.authorizeUrl({ redirectUri, scope, state });
}

/**
 * The WeChat URL for a login the authorization endpoint is about to send to the interaction page,
 * when that page would only redirect there (a login to WeChat's web authorization or website QR
 * login): the browser then skips a request. Null for every other case (a consent for a known
 * user, follow-to-log-in, the "open in WeChat" page), which the page answers.
 */
/** A login the person already has a session for, asked only to consent: granted without WeChat. */
export function isKnownUserConsent(pending: {
  readonly prompt: { readonly name: string };
  readonly session?: { readonly accountId?: string | undefined } | undefined;
}): boolean {
  return pending.prompt.name !== 'login' && Boolean(pending.session?.accountId);
}

export async function directWeChatUrl(
  deps: WeChatStartDeps,
  pending: PendingLogin & {
    readonly prompt: { readonly name: string };
    readonly session?: { readonly accountId?: string };
  },
  userAgent: string | undefined,
  client: ClientWeChat | undefined,
): Promise<string | null> {
  if (isKnownUserConsent(pending)) return null;
  const route = loginRouteFor(deps, userAgent, client);
  if (route?.kind !== 'web-authorization' && route?.kind !== 'website-qr') return null;
  return wechatAuthorizeUrl(deps, pending, route);
}
