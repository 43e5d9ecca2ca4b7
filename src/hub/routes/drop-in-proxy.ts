import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { withParam } from '../../http/index.js';
import { counted, overLimit, secretCaller } from '../drop-in/drop-in-credentials.js';
import { isRefusal, resolveProxyCaller } from '../drop-in/proxy-caller.js';
import { planProxyCall, proxyAnswer } from '../drop-in/proxy-plan.js';
import { isFailure } from '../drop-in/wechat-body.js';
import {
  callerGone,
  type ProxiedRequest,
  type ProxyOutcome,
  WeChatForwarder,
} from '../drop-in/wechat-forwarder.js';
import type { HubServices } from '../hub-services.js';

/**
 * The drop-in proxy: `GET|POST /cgi-bin/*` and `/sns/*` forwarded to `wechat.apiBase` and
 * nowhere else, with the real token put in place of the caller's `access_token` (a stand-in or a
 * client key), and one retry after refresh-if-current when WeChat says the token is dead. The
 * request body is buffered (capped by `dropIn.maxBodyBytes`) so the retry can resend it; JSON
 * answers are read for their errcode, others (media) stream through with WeChat's status and type.
 * What to do is decided by proxy-plan.ts and proxy-caller.ts, which the fast lane
 * (proxy-fast-lane.ts) shares; this route adds only Fastify's side: the body and the reply.
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
      handler: async (request, reply) => relay(reply, await proxy(hub, forwarder, request, reply)),
    });
  }
};

async function proxy(
  hub: HubServices,
  forwarder: WeChatForwarder,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<ProxyOutcome> {
  const plan = planProxyCall(request.raw.url ?? request.url);
  if (isFailure(plan)) return plan;
  const proxied: ProxiedRequest = {
    method: request.method === 'POST' ? 'POST' : 'GET',
    path: plan.path,
    search: plan.search,
    body: Buffer.isBuffer(request.body) ? request.body : undefined,
    contentType: request.headers['content-type'],
    accept: request.headers.accept,
    signal: callerGone(reply.raw),
    log: request.log,
  };

  if (plan.kind === 'pass-through') {
    const limited = overLimit(hub, { keyId: null, bucket: `ip:${request.ip}`, rateLimit: null });
    return limited ? counted(hub, limited) : forwarder.once(proxied, null, plan.search);
  }

  if (plan.kind === 'code-exchange') {
    const found = await secretCaller(hub, plan, 'oauth');
    if (isFailure(found)) return counted(hub, found);
    const limited = overLimit(hub, found.caller);
    if (limited) return counted(hub, limited);
    const { appid, secret } = found.account;
    return forwarder.once(proxied, appid, withParam(plan.search, 'secret', secret));
  }

  const caller = await resolveProxyCaller(hub, request.headers, plan.token, plan.appid);
  if (isRefusal(caller)) return counted(hub, caller);
  const limited = overLimit(hub, caller);
  return limited ? counted(hub, limited) : forwarder.withToken(proxied, caller.appid);
}

/** Writes the answer proxy-plan.ts shapes for both writers, through Fastify. */
function relay(reply: FastifyReply, outcome: ProxyOutcome): FastifyReply {
  const { status, headers, body } = proxyAnswer(outcome);
  return reply.code(status).headers(headers).send(body);
}
