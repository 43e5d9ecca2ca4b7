import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { PATHS } from '../../wechat/paths.js';
import { requireWebToken } from '../http/access-token.js';
import { checkSecret } from '../http/credentials.js';
import { originOf } from '../http/origin.js';
import { param } from '../http/params.js';
import { OK_BODY, replyError, replyJson } from '../http/wechat-reply.js';
import { wechatRoute } from '../http/wechat-route.js';
import { CODE_LIFETIME_MS, type Grant, type RefreshToken } from '../state/oauth-grants.js';
import type { SimState } from '../state/sim-state.js';
import { snsUserInfo } from '../user-views.js';

/**
 * Web authorization on the API host: code exchange, refresh, `/sns/userinfo`, `/sns/auth`.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export const snsRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  /**
   * WeChat's token answer: `unionid` only with a profile scope (snsapi_userinfo, or a website
   * app's snsapi_login), `is_snapshotuser` only when 1.
   */
  function grantBody(reply: FastifyReply, grant: Grant, refresh: RefreshToken, now: number): FastifyReply {
    const access = sim.grants.issueWebToken(grant, now);
    return replyJson(reply, {
      access_token: access.value,
      expires_in: 7200,
      refresh_token: refresh.value,
      openid: grant.openid,
      scope: grant.scope,
      is_snapshotuser: grant.snapshot ? 1 : undefined,
      unionid: grant.scope === 'snsapi_base' ? undefined : grant.unionid,
    });
  }

  wechatRoute(app, sim, PATHS.oauthAccessToken, (request, reply) => {
    const appid = param(request, 'appid');
    if (appid === undefined) return replyError(sim, reply, 41002);
    const secret = param(request, 'secret');
    if (secret === undefined) return replyError(sim, reply, 41004);
    const codeValue = param(request, 'code');
    if (codeValue === undefined) return replyError(sim, reply, 41008);
    if (param(request, 'grant_type') !== 'authorization_code') return replyError(sim, reply, 40002);
    const account = sim.accounts.get(appid);
    if (!account) return replyError(sim, reply, 40013);
    if (!checkSecret(sim, request, reply, account, secret, { checkIp: false })) return reply;
    const now = sim.now();
    const code = sim.grants.codes.get(codeValue);
    if (!code || code.appid !== appid) return replyError(sim, reply, 40029);
    if (code.used) return replyError(sim, reply, 40163);
    // Simulator choice: an expired code is 40029 (WeChat also documents 42003).
    if (now >= code.issuedAt + CODE_LIFETIME_MS) return replyError(sim, reply, 40029);
    code.used = true;
    return grantBody(reply, code, sim.grants.issueRefreshToken(code, now), now);
  });

  wechatRoute(app, sim, PATHS.oauthRefreshToken, (request, reply) => {
    const appid = param(request, 'appid');
    if (appid === undefined) return replyError(sim, reply, 41002);
    if (param(request, 'grant_type') !== 'refresh_token') return replyError(sim, reply, 40002);
    const value = param(request, 'refresh_token');
    if (value === undefined) return replyError(sim, reply, 41003);
    if (!sim.accounts.get(appid)) return replyError(sim, reply, 40013);
    const refresh = sim.grants.refreshTokens.get(value);
    if (!refresh || refresh.appid !== appid) return replyError(sim, reply, 40030);
    const now = sim.now();
    if (now >= refresh.expiresAt) return replyError(sim, reply, 42002);
    // The same refresh_token comes back (its 30 days run from the login); the old web token lives on.
    return grantBody(reply, refresh, refresh, now);
  });

  wechatRoute(app, sim, PATHS.snsUserInfo, (request, reply) => {
    const token = requireWebToken(sim, request, reply);
    if (!token) return reply;
    const openid = param(request, 'openid');
    if (openid === undefined) return replyError(sim, reply, 41009);
    if (openid !== token.openid) return replyError(sim, reply, 40003);
    if (token.scope === 'snsapi_base') return replyError(sim, reply, 48001);
    const account = sim.accounts.get(token.appid);
    const user = account?.user(openid);
    if (!account || !user) return replyError(sim, reply, 40003);
    const unionid = account.settings.unionBound ? user.unionid : undefined;
    return replyJson(reply, snsUserInfo(account, user, unionid, originOf(sim, request)));
  });

  wechatRoute(app, sim, PATHS.snsAuth, (request, reply) => {
    const token = requireWebToken(sim, request, reply);
    if (!token) return reply;
    const openid = param(request, 'openid');
    if (openid === undefined) return replyError(sim, reply, 41009);
    if (openid !== token.openid) return replyError(sim, reply, 40003);
    return replyJson(reply, OK_BODY);
  });

  done();
};
