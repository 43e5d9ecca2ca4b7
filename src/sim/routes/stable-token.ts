import type { FastifyPluginCallback } from 'fastify';
import { PATHS } from '../../wechat/paths.js';
import { checkSecret } from '../http/credentials.js';
import { stringField } from '../http/json-body.js';
import { jsonObject } from '../http/raw-body.js';
import { replyError, replyJson } from '../http/wechat-reply.js';
import { wechatRoute } from '../http/wechat-route.js';
import { dailyLimit, FORCE_REFRESH_DAILY_LIMIT, FORCE_REFRESH_KEY } from '../state/quotas.js';
import type { SimState } from '../state/sim-state.js';

/**
 * `POST /cgi-bin/stable_token`: JSON body only (a form body reads as "appid missing", 41002).
 * Normal mode returns the same token during its life and the next one in its last 5 minutes;
 * `force_refresh: true` replaces it (at most 20 a day, 30 s apart). Independent of
 * `/cgi-bin/token`: neither invalidates the other.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
 */
export const stableTokenRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  wechatRoute(app, sim, PATHS.stableToken, (request, reply) => {
    const body = jsonObject(request.body);
    const appid = body && stringField(body, 'appid');
    if (!body || appid === undefined) return replyError(sim, reply, 41002);
    const secret = stringField(body, 'secret');
    if (secret === undefined) return replyError(sim, reply, 41004);
    if (body.grant_type !== 'client_credential') return replyError(sim, reply, 40002);
    const account = sim.accounts.get(appid);
    // A website app has no global access_token: the API host does not know its appid.
    if (!account || account.settings.kind === 'website') return replyError(sim, reply, 40013);
    if (!checkSecret(sim, request, reply, account, secret, { checkIp: true })) return reply;
    const now = sim.now();
    if (!sim.quotas.tryConsume(appid, PATHS.stableToken, dailyLimit(PATHS.stableToken, 0), now)) {
      return replyError(sim, reply, 45009);
    }
    const token =
      body.force_refresh === true
        ? sim.tokens.forceStable(appid, now, () =>
            sim.quotas.tryConsume(appid, FORCE_REFRESH_KEY, FORCE_REFRESH_DAILY_LIMIT, now),
          )
        : sim.tokens.stable(appid, now);
    if (!token) return replyError(sim, reply, 45009);
    return replyJson(reply, {
      access_token: token.value,
      expires_in: Math.floor((token.expiresAt - now) / 1000),
    });
  });
  done();
};
