import type { OAuthToken, SnsUserInfo, UserInfo } from '../client/schemas.js';
import type { OAuthScope } from '../db/index.js';
import { isWeChatError, isWxhubError, WxhubError } from '../errors/index.js';
import type { Logger } from '../util/logger.js';
import type { LoginState } from './login-state.js';
import type { OAuthContext } from './oauth-context.js';
import { snapshotBody, type TicketBody, ticketBody } from './tickets.js';
import { tokenContext } from './token-cipher.js';

/** WeChat's answers to a code that can never work again: the user has to start over. */
const RELOGIN_ERRCODES = new Set([40163, 40029, 42003]);
/** How long a refresh_token lives (WeChat: 30 days from the login). */
export const REFRESH_TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

/**
 * The callback's work after the state checked out: exchange the code, fetch the profile
 * (snsapi_userinfo), look up "follows the account" with the global token, and bind the identity
 * to a user; resolves the redeem body. A code WeChat refuses for good rejects with
 * `WXHUB_ERR_OAUTH_CODE`; anything else going wrong in the exchange with `WXHUB_ERR_OAUTH_UPSTREAM`.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export async function completeLogin(
  ctx: OAuthContext,
  state: LoginState,
  code: string,
  log: Logger,
): Promise<TicketBody> {
  const { appid } = state;
  const { database, clock } = ctx;
  const client = ctx.client(appid);

  let token: OAuthToken;
  try {
    token = await client.oauth.exchangeCode(code);
  } catch (err) {
    if (isWeChatError(err) && RELOGIN_ERRCODES.has(err.errcode)) {
      log.info({ appid, errcode: err.errcode }, 'login code refused');
      throw new WxhubError('WXHUB_ERR_OAUTH_CODE', `errcode ${err.errcode}`, { errcode: err.errcode });
    }
    const errcode = isWeChatError(err) ? err.errcode : undefined;
    const reason = isWeChatError(err) ? `errcode ${err.errcode}` : isWxhubError(err) ? err.code : 'error';
    log.warn({ appid, errcode, reason }, 'login code exchange failed');
    throw new WxhubError('WXHUB_ERR_OAUTH_UPSTREAM', reason, { errcode });
  }
  const now = clock.now();
  const { openid } = token;
  if (token.is_snapshotuser === 1) {
    log.info({ appid }, 'snapshot-page user: not bound');
    return snapshotBody(appid, openid, now);
  }

  // A website app's snsapi_login grants the profile as snsapi_userinfo does; it has no followers
  // (and no access_token to ask with): its users follow the Official Account joined by unionid.
  const granted = token.scope.split(',');
  const scope: OAuthScope =
    granted.includes('snsapi_userinfo') || granted.includes('snsapi_login')
      ? 'snsapi_userinfo'
      : 'snsapi_base';
  const website = ctx.account(appid)?.kind === 'website';
  const [profile, follower] = await Promise.all([
    scope === 'snsapi_userinfo' ? userProfile(ctx, appid, token, log) : undefined,
    website ? undefined : followerInfo(ctx, appid, openid, log),
  ]);

  const { cipher } = ctx;
  const bound = await database.identities.bind({
    appid,
    openid,
    unionid: token.unionid ?? profile?.unionid ?? follower?.unionid ?? null,
    scope,
    nickname: profile?.nickname,
    headimgurl: profile?.headimgurl,
    subscribe: follower ? (follower.subscribe === 1 ? 1 : 0) : null,
    sealedWebToken: cipher.seal(token.access_token, tokenContext('web', appid, openid)),
    webTokenExpiresAt: now + token.expires_in * 1000,
    sealedRefreshToken: cipher.seal(token.refresh_token, tokenContext('refresh', appid, openid)),
    refreshTokenExpiresAt: now + REFRESH_TOKEN_LIFETIME_MS,
    at: now,
  });
  log.info({ appid, userId: bound.user.id, isNew: bound.isNew, scope }, 'login bound');
  return ticketBody(bound);
}

/** `/sns/userinfo`; a failure leaves the profile captured earlier in place (and is logged). */
async function userProfile(
  ctx: OAuthContext,
  appid: string,
  token: OAuthToken,
  log: Logger,
): Promise<SnsUserInfo | undefined> {
  try {
    return await ctx.client(appid).oauth.userInfo(token.access_token, token.openid);
  } catch (err) {
    log.warn({ appid, ...reasonOf(err) }, '/sns/userinfo failed: keeping the profile captured earlier');
    return undefined;
  }
}

/**
 * `/cgi-bin/user/info` with the global token (refreshed and retried once on a token error); a
 * failure keeps the last known follow state (and is logged).
 */
async function followerInfo(
  ctx: OAuthContext,
  appid: string,
  openid: string,
  log: Logger,
): Promise<UserInfo | undefined> {
  try {
    return await ctx.client(appid).users.get(openid);
  } catch (err) {
    log.warn({ appid, ...reasonOf(err) }, '/cgi-bin/user/info failed: keeping the last known follow state');
    return undefined;
  }
}

function reasonOf(err: unknown): { errcode?: number; reason: string } {
  if (isWeChatError(err)) return { errcode: err.errcode, reason: `errcode ${err.errcode}` };
  if (isWxhubError(err)) return { reason: err.code };
  return { reason: err instanceof Error ? err.name : 'error' };
}
