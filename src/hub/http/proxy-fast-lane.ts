import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import { overLimit } from '../drop-in/drop-in-credentials.js';
import { cachedProxyCaller, isRefusal } from '../drop-in/proxy-caller.js';
import { planProxyCall, proxyAnswer } from '../drop-in/proxy-plan.js';
import { weChatFailure } from '../drop-in/wechat-body.js';
import { callerGone, type ProxyOutcome, WeChatForwarder } from '../drop-in/wechat-forwarder.js';
import type { HubServices } from '../hub-services.js';
import type { RequestLog } from './request-hooks.js';
import type { FastLane } from './token-fast-lane.js';

/** The Fastify route the lane stands in for; metrics and access lines name it the same. */
export const PROXY_ROUTE = '/cgi-bin/*';
const PREFIX = '/cgi-bin/';
/** `/cgi-bin/token` is a route of its own (drop-in-token.ts), not a proxied call. */
const TOKEN_PATH = '/cgi-bin/token';

/**
 * The drop-in proxy's common call, `GET /cgi-bin/...?access_token=<stand-in or key>`, taken before
 * Fastify when everything but WeChat's answer is known from memory: a stand-in verified before
 * (or a cached client key) with the proxy scope, a warm token, room in the rate limit. Fastify's
 * request and reply machinery cost the paced proxied call about a third of the hub's CPU
 * (docs/benchmarks.md), and this is the call every legacy caller makes.
 *
 * It decides with the route's own functions (proxy-plan.ts for the path and parameters,
 * proxy-caller.ts for the caller, the same rate limit), forwards with the same WeChatForwarder,
 * writes the same proxyAnswer(), and ends in the same RequestLog.finish(): what is its own is
 * only node:http. Like the token lane it never refuses: a POST, a body, a `/sns/` path, a refused
 * path or token, a caller not known from memory, a cold token, a reached rate limit or a closing
 * hub go to the Fastify route.
 */
export function proxyFastLane(hub: HubServices, requests: RequestLog, closing: () => boolean): FastLane {
  const { manager, config } = hub;
  const { log } = requests;
  const forwarder = new WeChatForwarder(hub);
  return (req, res) => {
    const started = performance.now();
    const url = req.url;
    if (req.method !== 'GET' || !url?.startsWith(PREFIX) || closing()) return false;
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
      return false;
    const plan = planProxyCall(url);
    if (plan.kind !== 'token' || plan.path === TOKEN_PATH) return false;
    const caller = cachedProxyCaller(hub, req.headers, plan.token, plan.appid);
    if (caller === undefined || isRefusal(caller) || !manager.peekAccessToken(caller.appid)) return false;
    // Last, as the only step with an effect (a refusal takes nothing; the route then asks again).
    if (overLimit(hub, caller)) return false;

    const done = (statusCode: number, error: string | undefined) => {
      const ms = performance.now() - started;
      const remoteAddress = clientAddress(req, config.trustProxy);
      const { keyId } = caller;
      requests.finish(log, {
        method: 'GET',
        url,
        route: PROXY_ROUTE,
        remoteAddress,
        statusCode,
        keyId,
        ms,
        error,
      });
    };
    const proxied = {
      method: 'GET' as const,
      path: plan.path,
      search: plan.search,
      body: undefined,
      contentType: undefined,
      accept: req.headers.accept,
      signal: callerGone(res),
      log,
    };
    forwarder
      .withToken(proxied, caller.appid)
      .then((outcome) => write(res, outcome, done))
      .catch((err: unknown) => {
        // withToken turns every expected failure into an outcome, so this is a defect (or an answer
        // node:http would not write): WeChat's -1 if nothing was sent yet, else the connection cut.
        log.error({ err }, 'drop-in proxy failed');
        if (res.headersSent) res.destroy();
        else write(res, weChatFailure('WXHUB_ERR_INTERNAL', -1, 'internal error'), done);
      });
    return true;
  };
}

/** Writes the shared answer on node:http, then reports its status and the hub's reason, if any. */
function write(
  res: ServerResponse,
  outcome: ProxyOutcome,
  done: (status: number, error: string | undefined) => void,
): void {
  const { status, headers, body } = proxyAnswer(outcome);
  const error = outcome.kind === 'failure' ? outcome.code : undefined;
  if (res.destroyed) {
    // The caller left: nothing to write to, and a stream would only hold WeChat's socket open.
    if (body instanceof Readable) body.destroy();
    done(status, error);
    return;
  }
  res.writeHead(status, headers);
  if (body instanceof Readable) pipeline(body, res, () => done(status, error));
  else {
    res.end(body);
    done(status, error);
  }
}

/** `request.ip` as Fastify tells it: with `trustProxy` (a boolean here), the first X-Forwarded-For address. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = typeof forwarded === 'string' ? forwarded.split(',', 1)[0]!.trim() : '';
  return first || req.socket.remoteAddress;
}
