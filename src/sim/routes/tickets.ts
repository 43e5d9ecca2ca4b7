import type { FastifyPluginCallback } from 'fastify';
import { PATHS } from '../../wechat/paths.js';
import { requireGlobalToken } from '../http/access-token.js';
import { param } from '../http/params.js';
import { replyError, replyJson } from '../http/wechat-reply.js';
import { wechatRoute } from '../http/wechat-route.js';
import { newTicket } from '../ids.js';
import { dailyLimit } from '../state/quotas.js';
import type { SimState } from '../state/sim-state.js';

const TICKET_TYPES = new Set(['jsapi', 'wx_card']);

/**
 * `GET /cgi-bin/ticket/getticket?type=jsapi|wx_card`: a fresh ticket on every call, 7200 s.
 * Nothing in the simulator checks tickets, so they are not stored.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html
 */
export const ticketRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  const limit = dailyLimit(PATHS.ticket, 0);
  wechatRoute(app, sim, PATHS.ticket, (request, reply) => {
    const auth = requireGlobalToken(sim, request, reply);
    if (!auth) return reply;
    const type = param(request, 'type') ?? 'jsapi';
    if (!TICKET_TYPES.has(type)) return replyError(sim, reply, 40097);
    if (!sim.quotas.tryConsume(auth.account.appid, PATHS.ticket, limit, sim.now())) {
      return replyError(sim, reply, 45009);
    }
    return replyJson(reply, { errcode: 0, errmsg: 'ok', ticket: newTicket(), expires_in: 7200 });
  });
  done();
};
