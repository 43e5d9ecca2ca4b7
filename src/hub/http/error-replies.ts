import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, isWeChatError, isWxhubError, WxhubError } from '../../errors/index.js';
import { redactUrl } from '../../http/index.js';
import { isDropInPath, replyFailure, WXHUB_ERROR_HEADER, weChatFailure } from '../drop-in/wechat-body.js';

/**
 * The `/v1` error body: `{error: {code, message, errcode?}}`, with the registry's HTTP status, and
 * the code in `X-Wxhub-Error` as on every error the hub answers (counted by route and code).
 */
export function sendV1Error(reply: FastifyReply, err: WxhubError): FastifyReply {
  const body = {
    error: {
      code: err.code,
      message: err.message,
      ...(err.errcode !== undefined ? { errcode: err.errcode } : {}),
    },
  };
  return reply
    .code(err.statusCode)
    .header(WXHUB_ERROR_HEADER, err.code)
    .type('application/json; charset=utf-8')
    .send(body);
}

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'WXHUB_ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'WXHUB_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'WXHUB_ERR_INVALID_ARGUMENT',
  FST_ERR_CTP_INVALID_JSON_BODY: 'WXHUB_ERR_INVALID_ARGUMENT',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'WXHUB_ERR_INVALID_ARGUMENT',
  FST_ERR_VALIDATION: 'WXHUB_ERR_INVALID_ARGUMENT',
  FST_ERR_BAD_URL: 'WXHUB_ERR_INVALID_ARGUMENT',
  // find-my-way's 414 for a path parameter over 100 characters (e.g. a junk appid).
  FST_ERR_MAX_PARAM_LENGTH: 'WXHUB_ERR_INVALID_ARGUMENT',
};

const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'WXHUB_ERR_INVALID_ARGUMENT',
  401: 'WXHUB_ERR_UNAUTHORIZED',
  403: 'WXHUB_ERR_FORBIDDEN',
  404: 'WXHUB_ERR_NOT_FOUND',
  413: 'WXHUB_ERR_PAYLOAD_TOO_LARGE',
  415: 'WXHUB_ERR_UNSUPPORTED_MEDIA_TYPE',
  429: 'WXHUB_ERR_RATE_LIMITED',
};

/**
 * Any thrown value as a registry error: wxhub's own pass through; Fastify's body and URL errors
 * map to their meaning; anything else is `WXHUB_ERR_INTERNAL` whose message says nothing about
 * the cause (the log has it), so no stack or secret reaches a response.
 */
export function toWxhubError(err: unknown): WxhubError {
  if (isWxhubError(err)) return err;
  if (isWeChatError(err)) {
    return new WxhubError('WXHUB_ERR_REFRESH_FAILED', `WeChat ${err.path} errcode ${err.errcode}`, {
      errcode: err.errcode,
    });
  }
  const fastify = err as Partial<FastifyError> | null;
  const mapped = (fastify?.code && FASTIFY_CODES[fastify.code]) || BY_STATUS[fastify?.statusCode ?? 0];
  if (mapped) {
    const detail =
      fastify?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastify?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'body is not valid JSON'
        : fastify?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'send the body as application/json'
          : fastify?.code === 'FST_ERR_BAD_URL'
            ? 'malformed URL'
            : fastify?.code === 'FST_ERR_MAX_PARAM_LENGTH'
              ? 'a path parameter is too long'
              : undefined;
    return new WxhubError(mapped, detail);
  }
  return new WxhubError('WXHUB_ERR_INTERNAL');
}

/**
 * Answers an error in the shape the path's callers speak: on drop-in paths WeChat's, with HTTP 200
 * as WeChat's own errors have (wechat-body.ts), else `/v1`'s.
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const wx = toWxhubError(err);
  if (wx.code === 'WXHUB_ERR_INTERNAL') {
    request.log.error({ err: describe(err), url: redactUrl(request.url) }, 'internal error');
  } else if (wx.statusCode >= 500) {
    request.log.warn({ code: wx.code, msg: wx.message }, 'request failed');
  }
  if (isDropInPath(request.url)) {
    const detail = wx.code === 'WXHUB_ERR_INTERNAL' ? 'internal error' : wx.message;
    return replyFailure(reply, weChatFailure(wx.code, wx.errcode, detail));
  }
  return sendV1Error(reply, wx);
}

/** The root error and not-found handlers, and Fastify's framework errors (bad URLs), all JSON. */
export function installErrorReplies(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    const err = new WxhubError(
      'WXHUB_ERR_NOT_FOUND',
      `no route ${request.method} ${redactUrl(path).slice(0, 200)}`,
    );
    return sendError(request, reply, err);
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) return redactUrl(`${err.name}: ${err.message}\n${err.stack ?? ''}`);
  return redactUrl(String(err));
}
