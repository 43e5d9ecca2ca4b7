import type { Readable } from 'node:stream';
import { queryParam } from '../../http/index.js';
import { checkProxyPath } from './proxy-path.js';
import { failureAnswer, type WeChatFailure, weChatFailure } from './wechat-body.js';
import type { ProxyOutcome } from './wechat-forwarder.js';

/** `/sns/*` calls that carry WeChat's own web-authorization credentials: forwarded untouched. */
const SNS_PASS_THROUGH = new Set(['/sns/userinfo', '/sns/auth', '/sns/oauth2/refresh_token']);
/** The code exchange, whose `secret` is a client key with the `oauth` scope (the real one is put in). */
const SNS_CODE_EXCHANGE = '/sns/oauth2/access_token';

/** The parts of a proxied request's target the hub reads: a checked path and the raw query. */
interface Target {
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly search: string;
  readonly appid: string | null;
}

/**
 * What a proxied request asks for, from its raw target alone (no I/O, no transport): the same
 * for the Fastify route and the fast lane, so a path or parameter rule changes in one place.
 * - a refused path: `WXHUB_ERR_PROXY_PATH`, WeChat's 40066, and no upstream call;
 * - `pass-through`: `/sns/userinfo`, `/sns/auth`, `/sns/oauth2/refresh_token`, forwarded as sent;
 * - `code-exchange`: `/sns/oauth2/access_token`, whose `secret` is a client key;
 * - `token`: every other call, whose `access_token` is a stand-in or a client key.
 */
export type ProxyPlan =
  | WeChatFailure
  | (Target & { readonly kind: 'pass-through' })
  | (Target & { readonly kind: 'code-exchange'; readonly secret: string | null })
  | (Target & { readonly kind: 'token'; readonly token: string | null });

export function planProxyCall(rawUrl: string): ProxyPlan {
  const mark = rawUrl.indexOf('?');
  const checked = checkProxyPath(mark === -1 ? rawUrl : rawUrl.slice(0, mark));
  if (!checked.ok) return weChatFailure('WXHUB_ERR_PROXY_PATH', 40066, checked.reason);
  const { path } = checked;
  const search = mark === -1 ? '' : rawUrl.slice(mark + 1);
  const appid = queryParam(search, 'appid');
  if (SNS_PASS_THROUGH.has(path)) return { kind: 'pass-through', path, search, appid };
  if (path === SNS_CODE_EXCHANGE)
    return { kind: 'code-exchange', path, search, appid, secret: queryParam(search, 'secret') };
  return { kind: 'token', path, search, appid, token: queryParam(search, 'access_token') };
}

/** What either writer sends for an outcome: status, headers, and a body to end with or to pipe. */
export interface ProxyAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer | Readable | undefined;
}

const OCTET = 'application/octet-stream';

/**
 * The answer for an outcome: WeChat's status, headers and body as they came (a gateway's HTML
 * 502 included), or the hub's failure as WeChat-shaped JSON with HTTP 200 and `X-Wxhub-Error`.
 * Non-streamed answers carry their length.
 */
export function proxyAnswer(outcome: ProxyOutcome): ProxyAnswer {
  if (outcome.kind === 'failure') {
    const { status, headers, body } = failureAnswer(outcome);
    const bytes = Buffer.from(body);
    return { status, headers: { ...headers, 'content-length': String(bytes.length) }, body: bytes };
  }
  const { status, headers } = outcome;
  if (status === 204) {
    // No body may follow, and then neither its type nor its length (RFC 9110 §8.6).
    const { 'content-type': _type, 'content-length': _length, ...rest } = headers;
    if (outcome.kind === 'stream') outcome.body.resume();
    return { status, headers: rest, body: undefined };
  }
  if (outcome.kind === 'buffered') headers['content-type'] ??= OCTET;
  return { status, headers, body: outcome.body };
}
