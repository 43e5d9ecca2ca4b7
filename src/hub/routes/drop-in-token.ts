import type { FastifyPluginAsync } from 'fastify';
import { counted, type DropInRefusal, overLimit, secretCaller } from '../drop-in/drop-in-credentials.js';
import { STAND_IN_LIFETIME_SECONDS } from '../drop-in/stand-in-tokens.js';
import {
  failureAnswer,
  type HubAnswer,
  isFailure,
  replyAnswer,
  tokenFailure,
  weChatJsonAnswer,
} from '../drop-in/wechat-body.js';
import type { HubServices } from '../hub-services.js';

interface TokenQuery {
  grant_type?: string;
  appid?: string;
  secret?: string;
}

/**
 * Drop-in `GET /cgi-bin/token`: answers as WeChat does (`{"access_token","expires_in":7200}`, or
 * WeChat's errors in WeChat's order: 41002, 41004, 40002, 40013, then 40125 for a wrong secret,
 * every one with HTTP 200), where `secret` is a client key with the `token` scope. The token
 * handed out is a stand-in signed by the hub; the real token never leaves the hub.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
 */
export const dropInTokenRoutes: FastifyPluginAsync = async (app) => {
  const hub = app.hub;
  app.get<{ Querystring: TokenQuery }>(
    '/cgi-bin/token',
    { exposeHeadRoute: false },
    async (request, reply) => {
      const answer = await issueDropInToken(hub, first(request.query));
      return replyAnswer(reply, isFailure(answer) ? failureAnswer(answer) : answer);
    },
  );
};

/** The drop-in token answer for the parameters a caller sent: a stand-in, or WeChat's refusal. */
export async function issueDropInToken(
  hub: HubServices,
  query: TokenQuery,
): Promise<HubAnswer | DropInRefusal> {
  const { grant_type, appid, secret } = query;
  const grantType = { given: grant_type, expected: 'client_credential' };
  const found = await secretCaller(hub, { appid, secret, grantType }, 'token');
  if (isFailure(found)) return counted(hub, found);
  const limited = overLimit(hub, found.caller);
  if (limited) return counted(hub, limited);
  const { account, caller } = found;
  try {
    // A stand-in is only worth handing out while the hub can back it with a real token.
    await hub.manager.getAccessToken(account.appid);
  } catch (err) {
    return tokenFailure(err);
  }
  hub.metrics.standInIssued(account.appid);
  return weChatJsonAnswer({
    access_token: hub.standIns.issue(account.appid, caller.keyId),
    expires_in: STAND_IN_LIFETIME_SECONDS,
  });
}

/** Repeated query parameters: the first one counts, as in WeChat's own parsing. */
function first(query: unknown): TokenQuery {
  const q = (query ?? {}) as Record<string, string | string[] | undefined>;
  const pick = (name: string) => {
    const v = q[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return { grant_type: pick('grant_type'), appid: pick('appid'), secret: pick('secret') };
}
