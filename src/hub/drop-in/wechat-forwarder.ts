import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { splitUrl, withParam } from '../../http/index.js';
import { TOKEN_INVALID_ERRCODES } from '../../wechat/errcodes.js';
import type { HubServices } from '../hub-services.js';
import { forwardUpstream, type UpstreamAnswer, UpstreamBodyTooLarge } from './forward-upstream.js';
import { tokenFailure, type WeChatFailure, weChatFailure } from './wechat-body.js';

/** JSON answers are buffered to find the errcode; larger ones are refused. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** One proxied request, as the caller sent it (whether the Fastify route or the fast lane took it). */
export interface ProxiedRequest {
  readonly method: 'GET' | 'POST';
  /** A path `checkProxyPath` accepted. */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly search: string;
  readonly body: Buffer | undefined;
  readonly contentType: string | undefined;
  readonly accept: string | undefined;
  /** Emits `abort` when the caller goes away: the upstream request is then abandoned. */
  readonly signal: EventEmitter;
  /** Where a WeChat that hangs or cannot be reached is reported. */
  readonly log: FastifyBaseLogger;
}

/**
 * The signal for `ProxiedRequest.signal`: emits `abort` when the caller's response closes before
 * it was sent. An EventEmitter, not an AbortController: its signal costs several microseconds to
 * create, per proxied call (bench/proxy-overhead.ts).
 */
export function callerGone(res: ServerResponse): EventEmitter {
  const signal = new EventEmitter();
  res.once('close', () => {
    if (!res.writableFinished) signal.emit('abort');
  });
  return signal;
}

/** What to answer: WeChat's own answer, or a WeChat-shaped failure from the hub. */
export type ProxyOutcome = UpstreamAnswer | WeChatFailure;

/**
 * Sends proxied requests to `wechat.apiBase` and nowhere else, and counts each upstream call
 * (`hub.manager.reportUpstream`). Knows nothing of HTTP servers: the Fastify route and the fast
 * lane both hand it a request and write the outcome their own way.
 */
export class WeChatForwarder {
  readonly #origin: string;
  /** apiBase's own path, which every proxied path goes under ('' for none). */
  readonly #prefix: string;

  constructor(private readonly hub: HubServices) {
    const { origin, path } = splitUrl(hub.config.wechat.apiBase);
    this.#origin = origin;
    this.#prefix = path === '/' ? '' : path;
  }

  /**
   * With `appid`'s real token put in as `access_token`, and once more after refresh-if-current
   * when WeChat says that token is dead (40001, 40014, 42001): the caller never sees those.
   */
  async withToken(request: ProxiedRequest, appid: string): Promise<ProxyOutcome> {
    const { manager, metrics } = this.hub;
    let current: string;
    try {
      current = await manager.getAccessTokenValue(appid);
    } catch (err) {
      return tokenFailure(err);
    }
    for (let attempt = 1; ; attempt++) {
      const answer = await this.once(request, appid, withParam(request.search, 'access_token', current));
      const dead =
        answer.kind === 'buffered' &&
        answer.errcode !== undefined &&
        TOKEN_INVALID_ERRCODES.has(answer.errcode);
      if (!dead || attempt > 1) return answer;
      metrics.proxyRetry(appid);
      try {
        current = (await manager.refreshAccessToken(appid, current)).value;
      } catch (err) {
        return tokenFailure(err);
      }
    }
  }

  /**
   * One upstream call with the query given, counted for `appid` (null: none); a transport
   * failure becomes WeChat's `-1` (`WXHUB_ERR_TIMEOUT`, `WXHUB_ERR_TRANSPORT`, or
   * `WXHUB_ERR_UPSTREAM_BODY` for an oversized JSON body).
   */
  async once(request: ProxiedRequest, appid: string | null, search: string): Promise<ProxyOutcome> {
    const { path } = request;
    const timeoutMs = this.hub.config.wechat.timeoutMs;
    const t0 = performance.now();
    const report = (errcode: number) =>
      this.hub.manager.reportUpstream({
        appid: appid ?? 'none',
        path,
        errcode,
        durationMs: performance.now() - t0,
      });
    try {
      const answer = await forwardUpstream({
        method: request.method,
        origin: this.#origin,
        path: `${this.#prefix}${path}${search ? `?${search}` : ''}`,
        body: request.body,
        contentType: request.contentType,
        accept: request.accept,
        dispatcher: this.hub.proxyDispatcher,
        timeoutMs,
        signal: request.signal,
        maxJsonBytes: MAX_JSON_BYTES,
      });
      report(
        answer.kind === 'buffered' && answer.errcode !== undefined
          ? answer.errcode
          : answer.status < 400
            ? 0
            : -2,
      );
      return answer;
    } catch (err) {
      report(-2);
      const code = (err as { code?: unknown }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        request.log.warn({ path, appid, timeoutMs }, 'WeChat did not answer in time');
        return weChatFailure('WXHUB_ERR_TIMEOUT', -1, `WeChat did not answer within ${timeoutMs} ms`);
      }
      if (err instanceof UpstreamBodyTooLarge)
        return weChatFailure('WXHUB_ERR_UPSTREAM_BODY', -1, err.message);
      request.log.warn({ path, appid, err: (err as Error)?.name ?? 'error', code }, 'WeChat unreachable');
      return weChatFailure('WXHUB_ERR_TRANSPORT', -1, 'WeChat could not be reached');
    }
  }
}
