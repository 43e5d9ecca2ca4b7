import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { queryParam, withParam } from '../../http/index.js';
import { accountOf, checkDropInSecret, type DropInCaller } from '../drop-in/drop-in-credentials.js';
import { isRefusal, resolveProxyCaller } from '../drop-in/proxy-caller.js';
import { checkProxyPath } from '../drop-in/proxy-path.js';
import { replyFailure, replyWeChatError } from '../drop-in/wechat-body.js';
import {
  callerGone,
  type ProxiedRequest,
  type ProxyOutcome,
  WeChatForwarder,
} from '../drop-in/wechat-forwarder.js';
import type { HubServices } from '../hub-services.js';

/** `/sns/*` calls that carry WeChat's own web-authorization credentials: forwarded untouched. */
const SNS_PASS_THROUGH = new Set(['/sns/userinfo', '/sns/auth', '/sns/oauth2/refresh_token']);
/** The code exchange, whose `secret` is a client key with the `oauth` scope (the real one is put in). */
const SNS_CODE_EXCHANGE = '/sns/oauth2/access_token';

/**
 * The drop-in proxy: `GET|POST /cgi-bin/*` and `/sns/*` forwarded to `wechat.apiBase` and
 * nowhere else, with the real token put in place of the caller's `access_token` (a stand-in or a
 * client key), and one retry after refresh-if-current when WeChat says the token is dead. The
 * request body is buffered (capped by `dropIn.maxBodyBytes`) so the retry can resend it; JSON
 * answers are read for their errcode, others (media) stream through with WeChat's status and type.
 * Plain GETs from known callers usually take the fast lane instead (proxy-fast-lane.ts), which
 * forwards the same way.
 */
export const dropInProxyRoutes: FastifyPluginAsync = async (app) => {
  const hub = app.hub;
  const forwarder = new WeChatForwarder(hub);
  // Every body is taken as raw bytes here, whatever its type: WeChat gets exactly what was sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  for (const url of ['/cgi-bin/*', '/sns/*']) {
    app.route({
      method: ['GET', 'POST'],
      url,
      bodyLimit: hub.config.dropIn.maxBodyBytes,
      exposeHeadRoute: false,
      handler: (request, reply) => proxy(hub, forwarder, request, reply),
    });
  }
};

async function proxy(
  hub: HubServices,
  forwarder: WeChatForwarder,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const raw = request.raw.url ?? request.url;
  const mark = raw.indexOf('?');
  const checked = checkProxyPath(mark === -1 ? raw : raw.slice(0, mark));
  if (!checked.ok) return replyWeChatError(reply, 400, 40066, checked.reason);
  const path = checked.path;
  const search = mark === -1 ? '' : raw.slice(mark + 1);
  const proxied = proxiedRequest(request, reply, path, search);

  if (SNS_PASS_THROUGH.has(path)) {
    const caller: DropInCaller = { keyId: null, bucket: `ip:${request.ip}`, rateLimit: null };
    if (!withinLimit(hub, caller, reply)) return reply;
    return relay(reply, await forwarder.once(proxied, null, search));
  }

  if (path === SNS_CODE_EXCHANGE) {
    const appid = queryParam(search, 'appid');
    if (!appid) return replyWeChatError(reply, 200, 41002);
    const secret = queryParam(search, 'secret');
    if (!secret)
      return replyWeChatError(reply, 401, 41004, 'pass a wxhub client key with the oauth scope as secret');
    const account = accountOf(hub, appid);
    if (!account) return replyWeChatError(reply, 200, 40013, 'appid is not configured in this hub');
    const caller = await checkDropInSecret(hub, account, secret, 'oauth');
    if (!caller) {
      hub.metrics.authFailure('invalid_key');
      return replyWeChatError(
        reply,
        401,
        40125,
        'secret must be a wxhub client key with the oauth scope for this appid',
      );
    }
    if (!withinLimit(hub, caller, reply)) return reply;
    return relay(reply, await forwarder.once(proxied, appid, withParam(search, 'secret', account.secret)));
  }

  const token = queryParam(search, 'access_token');
  const caller = await resolveProxyCaller(hub, request.headers, token, queryParam(search, 'appid'));
  if (isRefusal(caller)) {
    hub.metrics.authFailure(caller.reason);
    return replyWeChatError(reply, caller.status, caller.errcode, caller.detail);
  }
  if (!withinLimit(hub, caller, reply)) return reply;
  return relay(reply, await forwarder.withToken(proxied, caller.appid));
}

/** The request as the forwarder takes it. */
function proxiedRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  search: string,
): ProxiedRequest {
  return {
    method: request.method === 'POST' ? 'POST' : 'GET',
    path,
    search,
    body: Buffer.isBuffer(request.body) ? request.body : undefined,
    contentType: request.headers['content-type'],
    accept: request.headers.accept,
    signal: callerGone(reply.raw),
    log: request.log,
  };
}

function withinLimit(hub: HubServices, caller: DropInCaller, reply: FastifyReply): boolean {
  const decision = hub.limiter.take(caller.bucket, caller.rateLimit);
  if (decision.ok) return true;
  hub.metrics.rateLimited('drop-in');
  reply.header('retry-after', String(decision.retryAfterSeconds));
  replyWeChatError(reply, 429, 45011, `rate limit of this caller; retry in ${decision.retryAfterSeconds} s`);
  return false;
}

/** WeChat's status, content type and body, as they came; or the hub's WeChat-shaped failure. */
function relay(reply: FastifyReply, outcome: ProxyOutcome): FastifyReply {
  if (outcome.kind === 'failure') return replyFailure(reply, outcome);
  reply.code(outcome.status).headers(outcome.headers);
  return reply.send(outcome.body);
}
