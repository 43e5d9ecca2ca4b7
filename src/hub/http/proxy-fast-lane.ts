import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { queryParam } from '../../http/index.js';
import { cachedProxyCaller, isRefusal } from '../drop-in/proxy-caller.js';
import { checkProxyPath } from '../drop-in/proxy-path.js';
import { WECHAT_JSON, weChatErrorBody } from '../drop-in/wechat-body.js';
import {
  callerGone,
  type ProxiedRequest,
  type ProxyOutcome,
  WeChatForwarder,
} from '../drop-in/wechat-forwarder.js';
import type { HubServices } from '../hub-services.js';
import { logAccess, wanted } from './request-hooks.js';
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
 * Like the token lane it never refuses: a POST, a body, a `/sns/` path, a path the proxy would
 * refuse or Fastify would decode, an unknown or refused token, a cold token, a reached rate limit
 * or a closing hub go to the Fastify route. Once it takes a call it forwards it exactly as the
 * route does (the same WeChatForwarder: token put in, one retry on a dead token, the same
 * failures) and answers with the route's status, headers and bytes, its metrics and access line.
 */
export function proxyFastLane(hub: HubServices, log: FastifyBaseLogger, closing: () => boolean): FastLane {
  const { limiter, manager, metrics, config } = hub;
  const forwarder = new WeChatForwarder(hub);
  // The histogram series of each status met, found once (the common one is 200).
  const recorders = new Map<number, (seconds: number) => void>();
  const record = (status: number, seconds: number) => {
    let recorder = recorders.get(status);
    if (!recorder) {
      recorder = metrics.requestRecorder(PROXY_ROUTE, 'GET', status);
      recorders.set(status, recorder);
    }
    recorder(seconds);
  };
  return (req, res) => {
    const started = performance.now();
    const url = req.url;
    if (req.method !== 'GET' || !url?.startsWith(PREFIX) || closing()) return false;
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
      return false;
    const mark = url.indexOf('?');
    const path = mark === -1 ? url : url.slice(0, mark);
    // Fastify decodes a path before routing (`/cgi-bin/t%6Fken` is its token route): leave those to it.
    if (path === TOKEN_PATH || path.includes('%') || !checkProxyPath(path).ok) return false;
    const search = mark === -1 ? '' : url.slice(mark + 1);
    const token = queryParam(search, 'access_token');
    const caller = cachedProxyCaller(hub, req.headers, token, queryParam(search, 'appid'));
    if (caller === undefined || isRefusal(caller) || !manager.peekAccessToken(caller.appid)) return false;
    // Last, as the only step with an effect (a refusal takes nothing; the route then asks again).
    if (!limiter.take(caller.bucket, caller.rateLimit).ok) return false;

    const proxied: ProxiedRequest = {
      method: 'GET',
      path,
      search,
      body: undefined,
      contentType: undefined,
      accept: req.headers.accept,
      signal: callerGone(res),
      log,
    };
    const done = (status: number) => {
      const ms = performance.now() - started;
      record(status, ms / 1000);
      if (wanted(config.logging.requests, status, ms)) {
        const remoteAddress = clientAddress(req, config.trustProxy);
        logAccess(log, {
          method: 'GET',
          url,
          route: PROXY_ROUTE,
          remoteAddress,
          statusCode: status,
          keyId: caller.keyId,
          ms,
        });
      }
    };
    forwarder
      .withToken(proxied, caller.appid)
      .then((outcome) => answer(res, outcome, done))
      .catch((err: unknown) => {
        // withToken turns every expected failure into an outcome, so this is a defect (or an answer
        // node:http would not write): WeChat's -1 if nothing was sent yet, else the connection cut.
        log.error({ err }, 'drop-in proxy failed');
        if (res.headersSent) res.destroy();
        else answer(res, { kind: 'failure', status: 500, errcode: -1 }, done);
      });
    return true;
  };
}

const OCTET = 'application/octet-stream';

/** Writes an outcome as the Fastify route's reply would, then reports its status. */
function answer(res: ServerResponse, outcome: ProxyOutcome, done: (status: number) => void): void {
  if (res.destroyed) {
    // The caller left: nothing to write to, and a stream would only hold WeChat's socket open.
    if (outcome.kind === 'stream') outcome.body.destroy();
    done(outcome.status);
    return;
  }
  if (outcome.kind === 'failure') {
    const body = JSON.stringify(weChatErrorBody(outcome.errcode, outcome.detail));
    res.writeHead(outcome.status, { 'content-type': WECHAT_JSON, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    done(outcome.status);
    return;
  }
  const { status, headers } = outcome;
  if (status === 204) {
    // No body may follow, and then neither its type nor its length (RFC 9110 §8.6).
    const { 'content-type': _type, 'content-length': _length, ...rest } = headers;
    res.writeHead(status, rest);
    res.end();
    if (outcome.kind === 'stream') outcome.body.resume();
    done(status);
    return;
  }
  if (outcome.kind === 'buffered') {
    headers['content-type'] ??= OCTET;
    res.writeHead(status, headers);
    res.end(outcome.body);
    done(status);
    return;
  }
  res.writeHead(status, headers);
  pipeline(outcome.body, res, () => done(status));
}

/** `request.ip` as Fastify tells it: with `trustProxy` (a boolean here), the first X-Forwarded-For address. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = typeof forwarded === 'string' ? forwarded.split(',', 1)[0]!.trim() : '';
  return first || req.socket.remoteAddress;
}
