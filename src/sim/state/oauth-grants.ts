import { newAccessToken, newCode, newRefreshToken } from '../ids.js';
import { ExpiringMap } from './expiring-map.js';

export const CODE_LIFETIME_MS = 5 * 60_000;
export const WEB_TOKEN_LIFETIME_MS = 7_200_000;
export const REFRESH_TOKEN_LIFETIME_MS = 30 * 86_400_000;
const DAY_MS = 86_400_000;

/** `snsapi_login` is a website app's QR login (§14). */
export type OAuthScope = 'snsapi_base' | 'snsapi_userinfo' | 'snsapi_login';

/** Who authorized what: carried from the code to the web tokens it yields. */
export interface Grant {
  readonly appid: string;
  readonly openid: string;
  /** Present only when the account is unionBound and the user has one. */
  readonly unionid: string | undefined;
  readonly scope: OAuthScope;
  /** A snapshot-page virtual user (`is_snapshotuser: 1`). */
  readonly snapshot: boolean;
}

export interface AuthCode extends Grant {
  readonly code: string;
  readonly issuedAt: number;
  used: boolean;
}

export interface WebToken extends Grant {
  readonly value: string;
  readonly expiresAt: number;
}

export interface RefreshToken extends Grant {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * The web-authorization side: codes (single use, 5 minutes), web access_tokens (7200 s) and
 * refresh_tokens (30 days). Each is remembered a day past its life so late use answers the
 * precise errcode, then forgotten; hard caps bound memory in very long runs.
 */
export class OAuthGrants {
  readonly codes = new ExpiringMap<AuthCode>(CODE_LIFETIME_MS + DAY_MS, 100_000);
  readonly webTokens = new ExpiringMap<WebToken>(WEB_TOKEN_LIFETIME_MS + DAY_MS, 200_000);
  readonly refreshTokens = new ExpiringMap<RefreshToken>(REFRESH_TOKEN_LIFETIME_MS + DAY_MS, 200_000);

  issueCode(grant: Grant, now: number): AuthCode {
    const code: AuthCode = { ...grant, code: newCode(), issuedAt: now, used: false };
    this.codes.set(code.code, code, now);
    return code;
  }

  issueWebToken(grant: Grant, now: number): WebToken {
    const token: WebToken = {
      ...pick(grant),
      value: newAccessToken(),
      expiresAt: now + WEB_TOKEN_LIFETIME_MS,
    };
    this.webTokens.set(token.value, token, now);
    return token;
  }

  issueRefreshToken(grant: Grant, now: number): RefreshToken {
    const token: RefreshToken = {
      ...pick(grant),
      value: newRefreshToken(),
      expiresAt: now + REFRESH_TOKEN_LIFETIME_MS,
    };
    this.refreshTokens.set(token.value, token, now);
    return token;
  }

  clear(): void {
    this.codes.clear();
    this.webTokens.clear();
    this.refreshTokens.clear();
  }
}

function pick(grant: Grant): Grant {
  return {
    appid: grant.appid,
    openid: grant.openid,
    unionid: grant.unionid,
    scope: grant.scope,
    snapshot: grant.snapshot,
  };
}
