import type { ClientAccounts } from './oidc-clients.js';

/**
 * Follow-to-log-in (a temporary parametric QR code the user scans with WeChat; the gateway's
 * SCAN / subscribe event completes it), built as its own module. The provider only needs this.
 */
export interface FollowLoginPort {
  /** Starts a follow login on `appid`; its page sends the browser to `continueUrl` once scanned. */
  start(
    appid: string,
    options: { continueUrl: string; clientIp?: string },
  ): Promise<{ id: string; pageUrl: string }>;
  /** Whether a follow login on `appid` can complete (the hub receives its pushes); absent: yes. */
  available?(appid: string): boolean;
  /** The scanner, once the scan's event arrived; null before (or when unknown or expired). */
  result(id: string): Promise<{ appid: string; openid: string } | null>;
}

/** Where a login goes, by browser and client (docs/oidc.md "Logging in"). */
export type LoginRoute =
  /** WeChat's own browser: the Official Account's web authorization (snsapi_base / snsapi_userinfo). */
  | { readonly kind: 'web-authorization'; readonly appid: string }
  /** A desktop browser, the client has a website app: the website QR login (qrconnect). */
  | { readonly kind: 'website-qr'; readonly appid: string }
  /** A desktop browser without a website app: follow-to-log-in, when the hub has it. */
  | { readonly kind: 'follow'; readonly appid: string }
  /** Nothing can log this browser in: a page asking to open the link in WeChat. */
  | { readonly kind: 'open-in-wechat'; readonly appid: string };

/** WeChat's in-app browser says so in its User-Agent (`MicroMessenger/8.0.x`). */
const IN_WECHAT = /MicroMessenger/i;

/**
 * Chooses the login route: in WeChat's browser the Official Account's web authorization (the QR
 * code would need a second phone); on a desktop the client's website app when it has one, else
 * follow-to-log-in when `followLogin` is available, else the "open in WeChat" page.
 */
export function chooseLoginRoute(
  userAgent: string | undefined,
  client: ClientAccounts,
  followLogin: boolean,
): LoginRoute {
  if (IN_WECHAT.test(userAgent ?? '')) return { kind: 'web-authorization', appid: client.appid };
  if (client.websiteAppid) return { kind: 'website-qr', appid: client.websiteAppid };
  return { kind: followLogin ? 'follow' : 'open-in-wechat', appid: client.appid };
}
