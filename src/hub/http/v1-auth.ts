import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Scope } from '../../db/index.js';
import { WxhubError } from '../../errors/index.js';
import { hasAppid, hasScope } from '../keys/permissions.js';

/** The bearer token of an Authorization header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? match[1]! : null;
}

/**
 * The `/v1` gate: a client key in `Authorization: Bearer` (401 without a valid, active one), with
 * `scope` (403), for the route's `:appid` when it has one (404 when no such account, 403 when the
 * key is not for it), within its rate limit (429 with Retry-After).
 */
export function requireKey(scope: Scope): onRequestAsyncHookHandler {
  return async function v1Auth(this: unknown, request: FastifyRequest, reply: FastifyReply) {
    const { keys, metrics, manager, limiter } = request.server.hub;
    const presented = bearerToken(request.headers.authorization);
    if (!presented) {
      metrics.authFailure('missing_key');
      reply.header('www-authenticate', 'Bearer');
      throw new WxhubError('WXHUB_ERR_UNAUTHORIZED', 'send Authorization: Bearer CLIENT_KEY');
    }
    const key = await keys.verify(presented);
    if (!key) {
      metrics.authFailure('invalid_key');
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new WxhubError('WXHUB_ERR_UNAUTHORIZED', 'the client key is unknown, wrong or revoked');
    }
    if (!hasScope(key, scope)) {
      metrics.authFailure('scope');
      throw new WxhubError('WXHUB_ERR_FORBIDDEN', `client key ${key.id} lacks the ${scope} scope`);
    }
    const appid = (request.params as { appid?: string } | undefined)?.appid;
    if (appid !== undefined) {
      if (!manager.hasAccount(appid)) throw new WxhubError('WXHUB_ERR_UNKNOWN_ACCOUNT', appid.slice(0, 64));
      if (!hasAppid(key, appid)) {
        metrics.authFailure('appid');
        throw new WxhubError('WXHUB_ERR_FORBIDDEN', `client key ${key.id} is not for appid ${appid}`);
      }
    }
    const decision = limiter.take(`key:${key.id}`, key.rateLimit);
    if (!decision.ok) {
      metrics.rateLimited('v1');
      reply.header('retry-after', String(decision.retryAfterSeconds));
      throw new WxhubError(
        'WXHUB_ERR_RATE_LIMITED',
        `client key ${key.id}; retry in ${decision.retryAfterSeconds} s`,
      );
    }
    request.clientKey = key;
  };
}
