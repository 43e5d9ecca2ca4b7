import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SimAccount } from '../state/account.js';
import { type GlobalToken, tokenDeadCode } from '../state/global-tokens.js';
import type { WebToken } from '../state/oauth-grants.js';
import type { SimState } from '../state/sim-state.js';
import { param } from './params.js';
import { replyError } from './wechat-reply.js';

/**
 * The global access_token of a call (classic or stable, both open every API) and its account,
 * or undefined after answering 41001 (missing), 40001 (unknown or invalidated) or 42001 (expired).
 */
export function requireGlobalToken(
  sim: SimState,
  request: FastifyRequest,
  reply: FastifyReply,
): { token: GlobalToken; account: SimAccount } | undefined {
  const value = param(request, 'access_token');
  if (value === undefined) {
    replyError(sim, reply, 41001);
    return undefined;
  }
  const token = sim.tokens.lookup(value);
  const account = token && sim.accounts.get(token.appid);
  if (!token || !account) {
    replyError(sim, reply, 40001);
    return undefined;
  }
  const dead = tokenDeadCode(token, sim.now());
  if (dead !== 0) {
    replyError(sim, reply, dead);
    return undefined;
  }
  return { token, account };
}

/** The web-authorization access_token of a `/sns/*` call, with the same errcodes. */
export function requireWebToken(
  sim: SimState,
  request: FastifyRequest,
  reply: FastifyReply,
): WebToken | undefined {
  const value = param(request, 'access_token');
  if (value === undefined) {
    replyError(sim, reply, 41001);
    return undefined;
  }
  const token = sim.grants.webTokens.get(value);
  if (!token) {
    replyError(sim, reply, 40001);
    return undefined;
  }
  if (token.expiresAt <= sim.now()) {
    replyError(sim, reply, 42001);
    return undefined;
  }
  return token;
}
