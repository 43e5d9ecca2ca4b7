import type { FastifyPluginCallback } from 'fastify';
import { PATHS } from '../../wechat/paths.js';
import { requireGlobalToken } from '../http/access-token.js';
import { checkSecret } from '../http/credentials.js';
import { requireJsonBody, stringField } from '../http/json-body.js';
import { OK_BODY, replyError, replyJson } from '../http/wechat-reply.js';
import { wechatRoute } from '../http/wechat-route.js';
import { DAILY_LIMITS, dailyLimit, RATE_LIMITS } from '../state/quotas.js';
import type { SimState } from '../state/sim-state.js';

/**
 * Quota management: `clear_quota` (with a token), `clear_quota/v2` (with the AppSecret, for
 * when the token quota itself is gone; the two share the 10-a-month limit) and
 * `openapi/quota/get`.
 * @see https://developers.weixin.qq.com/doc/offiaccount/openApi/clear_quota.html
 */
export const quotaRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  wechatRoute(app, sim, PATHS.clearQuota, (request, reply) => {
    const auth = requireGlobalToken(sim, request, reply);
    if (!auth) return reply;
    const body = requireJsonBody(sim, request, reply);
    if (!body) return reply;
    const appid = stringField(body, 'appid');
    if (appid === undefined) return replyError(sim, reply, 41002);
    if (appid !== auth.account.appid) return replyError(sim, reply, 40013);
    if (!sim.quotas.tryConsumeMonthlyClear(appid, sim.now())) return replyError(sim, reply, 48006);
    sim.quotas.clearDaily(appid);
    return replyJson(reply, OK_BODY);
  });

  wechatRoute(app, sim, PATHS.clearQuotaV2, (request, reply) => {
    const body = requireJsonBody(sim, request, reply);
    if (!body) return reply;
    const appid = stringField(body, 'appid');
    if (appid === undefined) return replyError(sim, reply, 41002);
    const appsecret = stringField(body, 'appsecret');
    if (appsecret === undefined) return replyError(sim, reply, 41004);
    const account = sim.accounts.get(appid);
    if (!account || account.settings.kind === 'website') return replyError(sim, reply, 40013);
    if (!checkSecret(sim, request, reply, account, appsecret, { checkIp: false })) return reply;
    if (!sim.quotas.tryConsumeMonthlyClear(appid, sim.now())) return replyError(sim, reply, 48006);
    sim.quotas.clearDaily(appid);
    return replyJson(reply, OK_BODY);
  });

  wechatRoute(app, sim, PATHS.quotaGet, (request, reply) => {
    const auth = requireGlobalToken(sim, request, reply);
    if (!auth) return reply;
    const body = requireJsonBody(sim, request, reply);
    if (!body) return reply;
    const path = stringField(body, 'cgi_path');
    if (path === undefined || !Object.hasOwn(DAILY_LIMITS, path)) return replyError(sim, reply, 76021);
    const limit = dailyLimit(path, auth.account.settings.tokenDailyQuota);
    const used = sim.quotas.used(auth.account.appid, path, sim.now());
    // No daily limit reads as daily_limit 0 / remain 0, like WeChat's unlimited entries.
    const dailyLimitValue = Number.isFinite(limit) ? limit : 0;
    return replyJson(reply, {
      errcode: 0,
      errmsg: 'ok',
      quota: { daily_limit: dailyLimitValue, used, remain: Math.max(0, dailyLimitValue - used) },
      rate_limit: RATE_LIMITS[path] ?? { call_count: 0, refresh_second: 0 },
    });
  });

  done();
};
