import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { type ErrorCode, isWxhubError } from '../../errors/index.js';
import { errmsgFor } from '../../wechat/errcodes.js';

/** The Content-Type WeChat's API host answers JSON with. */
export const WECHAT_JSON = 'application/json; encoding=utf-8';

/**
 * The response header naming the hub's own reason (a `WXHUB_ERR_*` code) on every error the hub
 * answers itself. Its absence on a drop-in path means the errcode is WeChat's own.
 */
export const WXHUB_ERROR_HEADER = 'x-wxhub-error';

/** True for the paths where callers speak WeChat's protocol and expect WeChat-shaped errors. */
export function isDropInPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path.startsWith('/cgi-bin/') || path.startsWith('/sns/') || path === '/cgi-bin' || path === '/sns';
}

/** The WeChat errcode a wxhub error stands for on drop-in paths (never leaks wxhub's status text). */
const ERRCODE_FOR: Partial<Record<ErrorCode, number>> = {
  WXHUB_ERR_INVALID_ARGUMENT: 47001,
  WXHUB_ERR_UNSUPPORTED_MEDIA_TYPE: 47001,
  WXHUB_ERR_PAYLOAD_TOO_LARGE: 45002,
  WXHUB_ERR_UNAUTHORIZED: 40001,
  WXHUB_ERR_FORBIDDEN: 40001,
  WXHUB_ERR_RATE_LIMITED: 45011,
  WXHUB_ERR_NOT_FOUND: 40066,
  WXHUB_ERR_PROXY_PATH: 40066,
  WXHUB_ERR_UNKNOWN_ACCOUNT: 40013,
  WXHUB_ERR_QUOTA_EXHAUSTED: 45009,
};

export function errcodeFor(code: ErrorCode): number {
  return ERRCODE_FOR[code] ?? -1;
}

/**
 * A WeChat-shaped refusal or failure of the hub's own, before it is written (by a Fastify reply
 * or a fast lane). Always HTTP 200, as WeChat's own errors are: SDKs (wechatpy, node-socialite)
 * treat any other status as a transport failure and never read the errcode, so their recovery
 * from 40001 would never run. The hub's reason travels in `X-Wxhub-Error`.
 */
export interface WeChatFailure {
  readonly kind: 'failure';
  /** The hub's reason: `X-Wxhub-Error`, the access line and `wxhub_hub_errors_total`. */
  readonly code: ErrorCode;
  readonly errcode: number;
  /** Why, from wxhub: appended to WeChat's own errmsg. */
  readonly detail?: string;
  /** For a rate limit: the `Retry-After` seconds. */
  readonly retryAfterSeconds?: number;
}

export function weChatFailure(
  code: ErrorCode,
  errcode: number = errcodeFor(code),
  detail?: string,
  retryAfterSeconds?: number,
): WeChatFailure {
  return { kind: 'failure', code, errcode, detail, retryAfterSeconds };
}

export function isFailure(value: object): value is WeChatFailure {
  return (value as { kind?: unknown }).kind === 'failure';
}

/** `{"errcode":N,"errmsg":"<WeChat's message>: <why, from wxhub>"}`. */
export function weChatErrorBody(errcode: number, detail?: string): { errcode: number; errmsg: string } {
  return { errcode, errmsg: detail ? `${errmsgFor(errcode)}: ${detail} (wxhub)` : errmsgFor(errcode) };
}

/** A serialized answer of the hub's own, for either writer. */
export interface HubAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function failureAnswer(failure: WeChatFailure): HubAnswer {
  const headers: Record<string, string> = { 'content-type': WECHAT_JSON, [WXHUB_ERROR_HEADER]: failure.code };
  if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
  return { status: 200, headers, body: JSON.stringify(weChatErrorBody(failure.errcode, failure.detail)) };
}

/** A JSON body exactly as given (no charset appended), as WeChat sends it. */
export function weChatJsonAnswer(body: object): HubAnswer {
  return { status: 200, headers: { 'content-type': WECHAT_JSON }, body: JSON.stringify(body) };
}

/** Writes an answer through Fastify (the routes), as bytes: Fastify would append a charset to a string's type. */
export function replyAnswer(reply: FastifyReply, answer: HubAnswer): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(Buffer.from(answer.body));
}

/** Writes an answer on node:http (the fast lanes). */
export function writeAnswer(res: ServerResponse, answer: HubAnswer): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

export function replyFailure(reply: FastifyReply, failure: WeChatFailure): FastifyReply {
  return replyAnswer(reply, failureAnswer(failure));
}

/**
 * A failure to obtain the real token, said the WeChat way: 45009 stays 45009 (the caller should
 * stop too); anything else is `-1` system busy, since the caller cannot fix the hub's secret.
 */
export function tokenFailure(err: unknown): WeChatFailure {
  if (isWxhubError(err)) {
    const quota = err.errcode === 45009 || err.code === 'WXHUB_ERR_QUOTA_EXHAUSTED';
    return weChatFailure(err.code, quota ? 45009 : -1, err.message);
  }
  return weChatFailure('WXHUB_ERR_REFRESH_FAILED', -1, 'could not obtain a token');
}
