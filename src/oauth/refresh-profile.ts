import type { OAuthToken } from '../client/schemas.js';
import type { IdentityPatch, IdentityRecord } from '../db/index.js';
import { isWeChatError, WxhubError } from '../errors/index.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { REFRESH_TOKEN_LIFETIME_MS } from './complete-login.js';
import type { OAuthSource } from './oauth-context.js';
import { tokenContext } from './token-cipher.js';

/** A web token this close to expiry is refreshed rather than checked. */
const EXPIRY_MARGIN_MS = 60_000;
/** Errcodes of `sns/auth` that only say "this web token no longer works". */
const DEAD_TOKEN_ERRCODES = new Set([40001, 40003, 41001, 42001]);

export interface RefreshProfileOptions {
  readonly logger?: Logger;
}

/**
 * Refreshes the profile (nickname, avatar, unionid) of an identity that logged in with
 * snsapi_userinfo, without a new login: opens the web token kept (sealed) at login, checks it with
 * `/sns/auth`, renews it with `/sns/oauth2/refresh_token` when it is dead or about to expire (the
 * refresh_token lives 30 days), then reads `/sns/userinfo` and stores the profile. Resolves the
 * updated identity. `source` is the hub's services (`hub.services`), which carry its login context.
 *
 * Rejects with `WXHUB_ERR_UNKNOWN_ACCOUNT`, `WXHUB_ERR_NOT_FOUND` (no such identity), or
 * `WXHUB_ERR_OAUTH_LOGIN_REQUIRED` when nothing usable is kept (snsapi_base login, another
 * encryption key, refresh_token expired or refused: the kept tokens are then cleared).
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export async function refreshProfile(
  source: OAuthSource,
  appid: string,
  openid: string,
  options: RefreshProfileOptions = {},
): Promise<IdentityRecord> {
  const log = options.logger ?? silentLogger;
  const ctx = source.login;
  const client = ctx.client(appid);
  const { database, clock } = ctx;
  const identity = await database.identities.get(appid, openid);
  if (!identity)
    throw new WxhubError('WXHUB_ERR_NOT_FOUND', `no identity ${openid.slice(0, 64)} of ${appid}`);
  if (identity.scope !== 'snsapi_userinfo')
    throw new WxhubError(
      'WXHUB_ERR_OAUTH_LOGIN_REQUIRED',
      'the last login used snsapi_base, which gives no profile',
    );

  const webContext = tokenContext('web', appid, openid);
  const refreshContext = tokenContext('refresh', appid, openid);
  let webToken = ctx.cipher.open(identity.sealedWebToken, webContext);
  const refreshToken = ctx.cipher.open(identity.sealedRefreshToken, refreshContext);
  const patch: { -readonly [K in keyof IdentityPatch]: IdentityPatch[K] } = {};
  const now = clock.now();

  let usable = false;
  if (webToken && (identity.webTokenExpiresAt ?? 0) - EXPIRY_MARGIN_MS > now) {
    try {
      await client.oauth.check(webToken, openid);
      usable = true;
    } catch (err) {
      if (!isWeChatError(err) || !DEAD_TOKEN_ERRCODES.has(err.errcode)) throw err;
      log.info({ appid, errcode: err.errcode }, 'kept web token is dead: refreshing it');
    }
  }

  if (!usable) {
    const loginRequired = async (why: string) => {
      await database.identities.update(appid, openid, {
        sealedWebToken: null,
        webTokenExpiresAt: null,
        sealedRefreshToken: null,
        refreshTokenExpiresAt: null,
      });
      return new WxhubError('WXHUB_ERR_OAUTH_LOGIN_REQUIRED', why);
    };
    if (!refreshToken)
      throw await loginRequired('no refresh_token is kept (or it was sealed with another key)');
    if ((identity.refreshTokenExpiresAt ?? 0) <= now) throw await loginRequired('the refresh_token expired');
    let renewed: OAuthToken;
    try {
      renewed = await client.oauth.refresh(refreshToken);
    } catch (err) {
      if (isWeChatError(err) && err.errcode !== -1)
        throw await loginRequired(`WeChat refused the refresh_token (errcode ${err.errcode})`);
      throw err;
    }
    webToken = renewed.access_token;
    patch.sealedWebToken = ctx.cipher.seal(renewed.access_token, webContext);
    patch.webTokenExpiresAt = now + renewed.expires_in * 1000;
    if (renewed.refresh_token !== refreshToken) {
      patch.sealedRefreshToken = ctx.cipher.seal(renewed.refresh_token, refreshContext);
      patch.refreshTokenExpiresAt = now + REFRESH_TOKEN_LIFETIME_MS;
    }
  }

  const profile = await client.oauth.userInfo(webToken!, openid);
  if (profile.nickname !== undefined) patch.nickname = profile.nickname;
  if (profile.headimgurl !== undefined) patch.headimgurl = profile.headimgurl;
  if (profile.unionid !== undefined) patch.unionid = profile.unionid;
  const updated = await database.identities.update(appid, openid, patch);
  if (!updated) throw new WxhubError('WXHUB_ERR_NOT_FOUND', `no identity ${openid.slice(0, 64)} of ${appid}`);
  return updated;
}
