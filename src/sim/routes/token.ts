import type { FastifyPluginCallback } from 'fastify';
import { PATHS } from '../../wechat/paths.js';
import { checkSecret } from '../http/credentials.js';
import { param } from '../http/params.js';
import { replyError, replyJson } from '../http/wechat-reply.js';
import { wechatRoute } from '../http/wechat-route.js';
import type { SimState } from '../state/sim-state.js';

/**
 * `GET /cgi-bin/token`: the classic global access_token. Each fetch makes the account's previous
 * tokens die after `tokenOverlapSeconds` (300 by default), which is the 40001 storm.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
 */
export const tokenRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  wechatRoute(app, sim, PATHS.token, (request, reply) => {
    const appid = param(request, 'appid');
    if (appid === undefined) return replyError(sim, reply, 41002);
    const secret = param(request, 'secret');
    if (secret === undefined) return replyError(sim, reply, 41004);
    if (param(request, 'grant_type') !== 'client_credential') return replyError(sim, reply, 40002);
    const account = sim.accounts.get(appid);
    // A website app has no global access_token: the API host does not know its appid.
    if (!account || account.settings.kind === 'website') return replyError(sim, reply, 40013);
    if (!checkSecret(sim, request, reply, account, secret, { checkIp: true })) return reply;
    const now = sim.now();
    if (!sim.quotas.tryConsume(appid, PATHS.token, account.settings.tokenDailyQuota, now)) {
      return replyError(sim, reply, 45009);
    }
    const token = sim.tokens.issueClassic(appid, account.settings.tokenOverlapSeconds * 1000, now);
    return replyJson(reply, { access_token: token.value, expires_in: 7200 });
  });
  done();
};
