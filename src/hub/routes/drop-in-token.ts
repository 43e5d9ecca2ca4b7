import type { FastifyPluginAsync } from 'fastify';
import { accountOf, checkDropInSecret } from '../drop-in/drop-in-credentials.js';
import { STAND_IN_LIFETIME_SECONDS } from '../drop-in/stand-in-tokens.js';
import { replyTokenFailure, replyWeChatError, replyWeChatJson } from '../drop-in/wechat-body.js';

interface TokenQuery {
  grant_type?: string;
  appid?: string;
  secret?: string;
}

/**
 * Drop-in `GET /cgi-bin/token`: answers as WeChat does (`{"access_token","expires_in":7200}`, or
 * WeChat's errors in WeChat's order: 41002, 41004, 40002, 40013, then 40125 for a wrong secret),
 * where `secret` is a client key with the `token` scope. The token handed out is a stand-in
 * signed by the hub; the real token never leaves the hub.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
 */
export const dropInTokenRoutes: FastifyPluginAsync = async (app) => {
  const hub = app.hub;

  app.get<{ Querystring: TokenQuery }>(
    '/cgi-bin/token',
    { exposeHeadRoute: false },
    async (request, reply) => {
      const { grant_type, appid, secret } = first(request.query);
      if (!appid) return replyWeChatError(reply, 200, 41002);
      if (!secret) {
        hub.metrics.authFailure('missing_key');
        return replyWeChatError(reply, 401, 41004, 'pass a wxhub client key as secret');
      }
      if (grant_type !== 'client_credential') return replyWeChatError(reply, 200, 40002);
      const account = accountOf(hub, appid);
      if (!account) return replyWeChatError(reply, 200, 40013, 'appid is not configured in this hub');
      const caller = await checkDropInSecret(hub, account, secret, 'token');
      if (!caller) {
        hub.metrics.authFailure('invalid_key');
        return replyWeChatError(
          reply,
          401,
          40125,
          'secret must be a wxhub client key with the token scope for this appid',
        );
      }
      const decision = hub.limiter.take(caller.bucket, caller.rateLimit);
      if (!decision.ok) {
        hub.metrics.rateLimited('drop-in');
        reply.header('retry-after', String(decision.retryAfterSeconds));
        return replyWeChatError(
          reply,
          429,
          45011,
          `rate limit of this client key; retry in ${decision.retryAfterSeconds} s`,
        );
      }
      try {
        // A stand-in is only worth handing out while the hub can back it with a real token.
        await hub.manager.getAccessToken(appid);
      } catch (err) {
        return replyTokenFailure(reply, err);
      }
      hub.metrics.standInIssued(appid);
      return replyWeChatJson(reply, 200, {
        access_token: hub.standIns.issue(appid, caller.keyId),
        expires_in: STAND_IN_LIFETIME_SECONDS,
      });
    },
  );
};

/** Repeated query parameters: the first one counts, as in WeChat's own parsing. */
function first(query: unknown): TokenQuery {
  const q = (query ?? {}) as Record<string, string | string[] | undefined>;
  const pick = (name: string) => {
    const v = q[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return { grant_type: pick('grant_type'), appid: pick('appid'), secret: pick('secret') };
}
