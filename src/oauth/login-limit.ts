import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimit } from '../db/index.js';
import { addressBucket, type RateDecision } from '../server/index.js';
import { sendProblem } from './pages.js';

/** Takes one login start from a client address's bucket (the hub's RateLimiter). */
export interface LoginLimiter {
  take(bucket: string, limit: RateLimit | null): RateDecision;
}

/**
 * Counts one login start of `request`'s client address under `limit` (`oauth.loginRateLimit`):
 * every start keeps a state or an interaction in the store, so an unauthenticated flood is
 * bounded per address. Over the limit it answers the bilingual 429 page (with Retry-After) and
 * resolves that reply; otherwise undefined, and the start goes on.
 */
export function refuseLoginFlood(
  limiter: LoginLimiter,
  limit: RateLimit | null,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply | undefined {
  const decision = limiter.take(`login:${addressBucket(request.ip)}`, limit);
  if (decision.ok) return undefined;
  reply.header('retry-after', String(decision.retryAfterSeconds));
  return sendProblem(request, reply, {
    code: 'WXHUB_ERR_RATE_LIMITED',
    zh: '登录请求过于频繁，请稍后再试',
    en: 'Too many logins from this network: please try again in a moment',
    detail: `retry in ${decision.retryAfterSeconds} s`,
  });
}
