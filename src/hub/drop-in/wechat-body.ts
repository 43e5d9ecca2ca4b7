import type { FastifyReply } from 'fastify';
import { type ErrorCode, isWxhubError } from '../../errors/index.js';
import { errmsgFor } from '../../wechat/errcodes.js';

/** The Content-Type WeChat's API host answers JSON with. */
export const WECHAT_JSON = 'application/json; encoding=utf-8';

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

/** A WeChat-shaped refusal or failure, before it is written (by a Fastify reply or the fast lane). */
export interface WeChatFailure {
  readonly kind: 'failure';
  readonly status: number;
  readonly errcode: number;
  /** Why, from wxhub: appended to WeChat's own errmsg. */
  readonly detail?: string;
}

export function weChatFailure(status: number, errcode: number, detail?: string): WeChatFailure {
  return { kind: 'failure', status, errcode, detail };
}

/** `{"errcode":N,"errmsg":"<WeChat's message>: <why, from wxhub>"}`. */
export function weChatErrorBody(errcode: number, detail?: string): { errcode: number; errmsg: string } {
  return { errcode, errmsg: detail ? `${errmsgFor(errcode)}: ${detail} (wxhub)` : errmsgFor(errcode) };
}

/** A WeChat-shaped error with WeChat's content type. */
export function replyWeChatError(
  reply: FastifyReply,
  status: number,
  errcode: number,
  detail?: string,
): FastifyReply {
  return replyWeChatJson(reply, status, weChatErrorBody(errcode, detail));
}

export function replyFailure(reply: FastifyReply, failure: WeChatFailure): FastifyReply {
  return replyWeChatError(reply, failure.status, failure.errcode, failure.detail);
}

/** Sends a JSON body exactly as given (no charset appended), as WeChat does. */
export function replyWeChatJson(reply: FastifyReply, status: number, body: object): FastifyReply {
  return reply
    .code(status)
    .header('content-type', WECHAT_JSON)
    .serializer((payload: unknown) => JSON.stringify(payload))
    .send(body);
}

/**
 * A failure to obtain the real token, said the WeChat way: 45009 stays 45009 (the caller should
 * stop too); anything else is `-1` system busy, since the caller cannot fix the hub's secret.
 */
export function tokenFailure(err: unknown): WeChatFailure {
  if (isWxhubError(err)) {
    const errcode = err.errcode === 45009 || err.code === 'WXHUB_ERR_QUOTA_EXHAUSTED' ? 45009 : -1;
    return weChatFailure(
      err.statusCode >= 500 ? err.statusCode : 503,
      errcode,
      `${err.code}: ${err.message}`,
    );
  }
  return weChatFailure(503, -1, 'could not obtain a token');
}

export function replyTokenFailure(reply: FastifyReply, err: unknown): FastifyReply {
  return replyFailure(reply, tokenFailure(err));
}

export function errcodeFor(code: ErrorCode): number {
  return ERRCODE_FOR[code] ?? -1;
}
