import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { ClientKeyRecord, RateLimit, Scope } from '../db/index.js';
import { type ErrorCode, WxhubError } from '../errors/index.js';
import { bearerToken } from './bearer-token.js';
import { hasAppid, hasScope } from './permissions.js';

/** A limiter's answer: room left, or how long to wait. */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/** What the gate needs from the server it guards: the keys, the accounts, a limiter, counters. */
export interface KeyGateOptions {
  /** Resolves the key record of a presented key, or null when it is unknown, wrong or revoked. */
  readonly keys: { verify(presented: string): Promise<ClientKeyRecord | null> };
  /** True when the server serves `appid`. */
  readonly hasAccount: (appid: string) => boolean;
  /** Takes one request from a bucket (`key:ID`), under the key's own limit when it has one. */
  readonly limiter: { take(bucket: string, limit: RateLimit | null): RateDecision };
  /** Counts refusals: `missing_key`, `invalid_key`, `scope`, `appid`; and rate-limited requests. */
  readonly metrics: { authFailure(reason: string): void; rateLimited(kind: 'v1'): void };
}

/**
 * Makes the `onRequest` hook of a route that needs a client key with `scope`. With `deferLimit`,
 * a key over its rate limit is not refused here: the route decides (`request.overLimit`), so a
 * request it can answer from memory (a refresh report of a token no longer current) never is.
 */
export type KeyGate = (
  scope: Scope,
  options?: { readonly deferLimit?: boolean },
) => onRequestAsyncHookHandler;

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified client key of a gated request (set by the key gate). */
    clientKey: ClientKeyRecord | null;
    /** Set by a gate with `deferLimit` when the key is over its rate limit: the route decides. */
    overLimit?: RateDecision & { readonly ok: false };
  }
}

/**
 * The client-key gate of the hub API and the ticket redeem: a key in `Authorization: Bearer` (401
 * without a valid, active one), with `scope` (403), for the route's `:appid` when it has one (404
 * when no such account, 403 when the key is not for it), within its rate limit (429 with
 * Retry-After). It runs in `onRequest`, before any body is read: a caller without a key costs no
 * parsing. On success `request.clientKey` is the key.
 */
export function keyGate(options: KeyGateOptions): KeyGate {
  const { keys, hasAccount, limiter, metrics } = options;
  return (scope, gateOptions = {}) =>
    async function gate(this: unknown, request: FastifyRequest, reply: FastifyReply) {
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
      const appid = (request.params as { appid?: string } | undefined)?.appid;
      const denied = keyRefusal(hasAccount, key, scope, appid);
      if (denied) {
        if (denied.reason) metrics.authFailure(denied.reason);
        throw new WxhubError(denied.code, denied.message);
      }
      const decision = limiter.take(`key:${key.id}`, key.rateLimit);
      request.clientKey = key;
      if (decision.ok) return;
      if (gateOptions.deferLimit) request.overLimit = decision;
      else refuseOverLimit(request, reply, decision, metrics);
    };
}

/** Why a verified client key may not make a request, and the `wxhub_auth_failures_total` reason. */
export interface KeyRefusal {
  readonly code: ErrorCode;
  readonly message: string;
  readonly reason?: 'scope' | 'appid';
}

/**
 * What a verified, active client key may do, decided from memory in one order: the scope
 * (`WXHUB_ERR_FORBIDDEN`), the appid served (`WXHUB_ERR_UNKNOWN_ACCOUNT`), the key given that
 * appid (`WXHUB_ERR_FORBIDDEN`). Null: allowed. No I/O and no transport: the `/v1` gate, the
 * token fast lane, the drop-in token, the proxy and the code exchange all ask this one function,
 * so a fix to the rules lands once.
 */
export function keyRefusal(
  hasAccount: (appid: string) => boolean,
  key: ClientKeyRecord,
  scope: Scope,
  appid?: string,
): KeyRefusal | null {
  if (!hasScope(key, scope))
    return {
      code: 'WXHUB_ERR_FORBIDDEN',
      message: `client key ${key.id} lacks the ${scope} scope`,
      reason: 'scope',
    };
  if (appid === undefined) return null;
  if (!hasAccount(appid))
    return { code: 'WXHUB_ERR_UNKNOWN_ACCOUNT', message: 'appid is not configured in this hub' };
  if (!hasAppid(key, appid))
    return {
      code: 'WXHUB_ERR_FORBIDDEN',
      message: `client key ${key.id} is not for this appid`,
      reason: 'appid',
    };
  return null;
}

/** The 429 of a key over its rate limit, with `Retry-After`. */
export function refuseOverLimit(
  request: FastifyRequest,
  reply: FastifyReply,
  decision: RateDecision & { readonly ok: false },
  metrics: Pick<KeyGateOptions['metrics'], 'rateLimited'>,
): never {
  metrics.rateLimited('v1');
  reply.header('retry-after', String(decision.retryAfterSeconds));
  throw new WxhubError(
    'WXHUB_ERR_RATE_LIMITED',
    `client key ${request.clientKey?.id ?? '?'}; retry in ${decision.retryAfterSeconds} s`,
  );
}
