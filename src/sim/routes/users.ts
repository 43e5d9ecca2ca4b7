import type { FastifyPluginCallback } from 'fastify';
import { PATHS } from '../../wechat/paths.js';
import { requireGlobalToken } from '../http/access-token.js';
import { requireJsonBody } from '../http/json-body.js';
import { originOf } from '../http/origin.js';
import { param } from '../http/params.js';
import { replyError, replyJson } from '../http/wechat-reply.js';
import { wechatRoute } from '../http/wechat-route.js';
import type { SimUser } from '../state/account.js';
import { dailyLimit } from '../state/quotas.js';
import type { SimState } from '../state/sim-state.js';
import { cgiUserInfo, cgiUserInfoJson } from '../user-views.js';

/** Most openids one `/cgi-bin/user/get` page carries. */
export const USER_LIST_PAGE = 10_000;
/** Most entries in one `/cgi-bin/user/info/batchget`. */
export const BATCHGET_MAX = 100;

/**
 * Follower APIs: `/cgi-bin/user/info`, `/cgi-bin/user/info/batchget`, `/cgi-bin/user/get`.
 * @see https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html
 * @see https://developers.weixin.qq.com/doc/offiaccount/User_Management/Getting_a_User_List.html
 */
export const userRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  const userInfoLimit = dailyLimit(PATHS.userInfo, 0);
  const batchGetLimit = dailyLimit(PATHS.userBatchGet, 0);
  const userListLimit = dailyLimit(PATHS.userList, 0);

  wechatRoute(app, sim, PATHS.userInfo, (request, reply) => {
    const auth = requireGlobalToken(sim, request, reply);
    if (!auth) return reply;
    const openid = param(request, 'openid');
    if (openid === undefined) return replyError(sim, reply, 41009);
    // `lang` (zh_CN | zh_TW | en) is accepted and does not change the fields.
    const user = auth.account.user(openid);
    if (!user) return replyError(sim, reply, 40003);
    if (!sim.quotas.tryConsume(auth.account.appid, PATHS.userInfo, userInfoLimit, sim.now())) {
      return replyError(sim, reply, 45009);
    }
    // Only legacy bodies carry a headimgurl, so only they need (and pay for) the origin.
    const origin = auth.account.settings.legacyProfile ? originOf(sim, request) : '';
    return replyJson(reply, cgiUserInfoJson(auth.account, user, origin));
  });

  wechatRoute(app, sim, PATHS.userBatchGet, (request, reply) => {
    const auth = requireGlobalToken(sim, request, reply);
    if (!auth) return reply;
    const body = requireJsonBody(sim, request, reply);
    if (!body) return reply;
    const list = body.user_list;
    if (!Array.isArray(list)) return replyError(sim, reply, 47001);
    if (list.length === 0 || list.length > BATCHGET_MAX) return replyError(sim, reply, 40032);
    const users: SimUser[] = [];
    for (const entry of list) {
      const openid = (entry as { openid?: unknown } | null)?.openid;
      if (typeof openid !== 'string') return replyError(sim, reply, 47001);
      const user = auth.account.user(openid);
      // One unknown openid fails the whole batch, as WeChat does.
      if (!user) return replyError(sim, reply, 40003);
      users.push(user);
    }
    if (!sim.quotas.tryConsume(auth.account.appid, PATHS.userBatchGet, batchGetLimit, sim.now())) {
      return replyError(sim, reply, 45009);
    }
    const origin = originOf(sim, request);
    return replyJson(reply, { user_info_list: users.map((user) => cgiUserInfo(auth.account, user, origin)) });
  });

  wechatRoute(app, sim, PATHS.userList, (request, reply) => {
    const auth = requireGlobalToken(sim, request, reply);
    if (!auth) return reply;
    const page = auth.account.followersAfter(param(request, 'next_openid'), USER_LIST_PAGE);
    if (!page) return replyError(sim, reply, 40003);
    if (!sim.quotas.tryConsume(auth.account.appid, PATHS.userList, userListLimit, sim.now())) {
      return replyError(sim, reply, 45009);
    }
    const total = auth.account.followerCount;
    if (page.length === 0) return replyJson(reply, { total, count: 0, next_openid: '' });
    return replyJson(reply, {
      total,
      count: page.length,
      data: { openid: page },
      next_openid: page[page.length - 1],
    });
  });

  done();
};
