import { EventEmitter } from 'node:events';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { splitUrl } from '../../http/index.js';
import { TOKEN_INVALID_ERRCODES } from '../../wechat/errcodes.js';
import { accountOf, checkDropInSecret, type DropInCaller } from '../drop-in/drop-in-credentials.js';
import { forwardUpstream, type UpstreamAnswer, UpstreamBodyTooLarge } from '../drop-in/forward-upstream.js';
import { isRefusal, resolveProxyCaller } from '../drop-in/proxy-caller.js';
import { checkProxyPath } from '../drop-in/proxy-path.js';
import { replyTokenFailure, replyWeChatError } from '../drop-in/wechat-body.js';
import type { HubServices } from '../hub-services.js';

/** `/sns/*` calls that carry WeChat's own web-authorization credentials: forwarded untouched. */
const SNS_PASS_THROUGH = new Set(['/sns/userinfo', '/sns/auth', '/sns/oauth2/refresh_token']);
/** The code exchange, whose `secret` is a client key with the `oauth` scope (the real one is put in). */
const SNS_CODE_EXCHANGE = '/sns/oauth2/access_token';
/** JSON answers are buffered to find the errcode; larger ones are refused. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/**
 * The drop-in proxy: `GET|POST /cgi-bin/*` and `/sns/*` forwarded to `wechat.apiBase` and
 * nowhere else, with the real token put in place of the caller's `access_token` (a stand-in or a
 * client key), and one retry after refresh-if-current when WeChat says the token is dead. The
 * request body is buffered (capped by `dropIn.maxBodyBytes`) so the retry can resend it; JSON
 * answers are read for their errcode, others (media) stream through with WeChat's status and type.
 */
export const dropInProxyRoutes: FastifyPluginAsync = async (app) => {
  const hub = app.hub;
  const api = apiBase(hub.config.wechat.apiBase);
  // Every body is taken as raw bytes here, whatever its type: WeChat gets exactly what was sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  for (const url of ['/cgi-bin/*', '/sns/*']) {
    app.route({
      method: ['GET', 'POST'],
      url,
      bodyLimit: hub.config.dropIn.maxBodyBytes,
      exposeHeadRoute: false,
      handler: (request, reply) => proxy(hub, api, request, reply),
    });
  }
};

async function proxy(
  hub: HubServices,
  api: ApiBase,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const raw = request.raw.url ?? request.url;
  const mark = raw.indexOf('?');
  const rawPath = mark === -1 ? raw : raw.slice(0, mark);
  const search = mark === -1 ? '' : raw.slice(mark + 1);
  const checked = checkProxyPath(rawPath);
  if (!checked.ok) return replyWeChatError(reply, 400, 40066, checked.reason);
  const path = checked.path;
  const query = new URLSearchParams(search);

  if (SNS_PASS_THROUGH.has(path)) {
    const caller: DropInCaller = { keyId: null, bucket: `ip:${request.ip}`, rateLimit: null };
    if (!withinLimit(hub, caller, reply)) return reply;
    return send(hub, api, request, reply, null, `${path}${search ? `?${search}` : ''}`);
  }

  if (path === SNS_CODE_EXCHANGE) {
    const appid = query.get('appid');
    if (!appid) return replyWeChatError(reply, 200, 41002);
    const secret = query.get('secret');
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
    query.set('secret', account.secret);
    return send(hub, api, request, reply, appid, `${path}?${query.toString()}`);
  }

  const token = query.get('access_token');
  const caller = await resolveProxyCaller(hub, request, token, query.get('appid'));
  if (isRefusal(caller)) {
    hub.metrics.authFailure(caller.reason);
    return replyWeChatError(reply, caller.status, caller.errcode, caller.detail);
  }
  if (!withinLimit(hub, caller, reply)) return reply;

  let current: string;
  try {
    current = (await hub.manager.getAccessToken(caller.appid)).value;
  } catch (err) {
    return replyTokenFailure(reply, err);
  }
  for (let attempt = 1; ; attempt++) {
    query.set('access_token', current);
    const answer = await call(hub, api, request, reply, caller.appid, path, `${path}?${query.toString()}`);
    if (!answer) return reply;
    const dead =
      answer.kind === 'buffered' &&
      answer.errcode !== undefined &&
      TOKEN_INVALID_ERRCODES.has(answer.errcode);
    if (!dead || attempt > 1) return relay(reply, answer);
    hub.metrics.proxyRetry(caller.appid);
    try {
      current = (await hub.manager.refreshAccessToken(caller.appid, current)).value;
    } catch (err) {
      return replyTokenFailure(reply, err);
    }
  }
}

function withinLimit(hub: HubServices, caller: DropInCaller, reply: FastifyReply): boolean {
  const decision = hub.limiter.take(caller.bucket, caller.rateLimit);
  if (decision.ok) return true;
  hub.metrics.rateLimited('drop-in');
  reply.header('retry-after', String(decision.retryAfterSeconds));
  replyWeChatError(reply, 429, 45011, `rate limit of this caller; retry in ${decision.retryAfterSeconds} s`);
  return false;
}

/** One upstream call without token handling (pass-through and code exchange). */
async function send(
  hub: HubServices,
  api: ApiBase,
  request: FastifyRequest,
  reply: FastifyReply,
  appid: string | null,
  pathAndQuery: string,
): Promise<FastifyReply> {
  const path = pathAndQuery.split('?', 1)[0]!;
  const answer = await call(hub, api, request, reply, appid, path, pathAndQuery);
  return answer ? relay(reply, answer) : reply;
}

/**
 * Makes one upstream call and counts it; on a transport failure answers the caller (504 for a
 * timeout, 502 otherwise, WeChat's `-1`) and resolves null.
 */
async function call(
  hub: HubServices,
  api: ApiBase,
  request: FastifyRequest,
  reply: FastifyReply,
  appid: string | null,
  path: string,
  pathAndQuery: string,
): Promise<UpstreamAnswer | null> {
  // undici takes an EventEmitter as its abort signal: an AbortController's signal costs several
  // microseconds to create, per proxied call (bench/proxy-overhead.ts).
  const abort = new EventEmitter();
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.emit('abort');
  };
  reply.raw.once('close', onClose);
  const timeoutMs = hub.config.wechat.timeoutMs;
  const label = appid ?? 'none';
  const t0 = performance.now();
  const report = (errcode: number) =>
    hub.manager.reportUpstream({ appid: label, path, errcode, durationMs: performance.now() - t0 });
  try {
    const answer = await forwardUpstream({
      method: request.method === 'POST' ? 'POST' : 'GET',
      origin: api.origin,
      path: `${api.path}${pathAndQuery}`,
      body: Buffer.isBuffer(request.body) ? request.body : undefined,
      contentType: request.headers['content-type'],
      accept: request.headers.accept,
      dispatcher: hub.proxyDispatcher,
      timeoutMs,
      signal: abort,
      maxJsonBytes: MAX_JSON_BYTES,
    });
    const errcode =
      answer.kind === 'buffered' && answer.errcode !== undefined
        ? answer.errcode
        : answer.status < 400
          ? 0
          : -2;
    report(errcode);
    return answer;
  } catch (err) {
    report(-2);
    const code = (err as { code?: unknown }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      request.log.warn({ path, appid, timeoutMs }, 'WeChat did not answer in time');
      replyWeChatError(reply, 504, -1, `WeChat did not answer within ${timeoutMs} ms`);
    } else if (err instanceof UpstreamBodyTooLarge) {
      replyWeChatError(reply, 502, -1, err.message);
    } else {
      request.log.warn({ path, appid, err: (err as Error)?.name ?? 'error', code }, 'WeChat unreachable');
      replyWeChatError(reply, 502, -1, 'WeChat could not be reached');
    }
    return null;
  } finally {
    reply.raw.off('close', onClose);
  }
}

/** WeChat's status, content type and body, as they came. */
function relay(reply: FastifyReply, answer: UpstreamAnswer): FastifyReply {
  reply.code(answer.status).headers(answer.headers);
  return reply.send(answer.body);
}

/** `wechat.apiBase` as undici's origin and the path every proxied path goes under ('' for none). */
interface ApiBase {
  readonly origin: string;
  readonly path: string;
}

function apiBase(url: string): ApiBase {
  const { origin, path } = splitUrl(url);
  return { origin, path: path === '/' ? '' : path };
}
