import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SimAccount } from '../state/account.js';
import type { SimState } from '../state/sim-state.js';
import { clientIp, ipAllowed, whitelistErrmsg } from './client-ip.js';
import { replyError } from './wechat-reply.js';

/**
 * The AppSecret checks of the token APIs, in this order: frozen (40243), wrong (40125), caller
 * IP outside the whitelist (40164). Answers the error and returns false on the first failure.
 */
export function checkSecret(
  sim: SimState,
  request: FastifyRequest,
  reply: FastifyReply,
  account: SimAccount,
  secret: string,
  options: { checkIp: boolean },
): boolean {
  const settings = account.settings;
  if (settings.secretFrozen) {
    replyError(sim, reply, 40243);
    return false;
  }
  if (secret !== settings.secret) {
    replyError(sim, reply, 40125);
    return false;
  }
  if (options.checkIp && settings.ipWhitelist !== null) {
    const ip = clientIp(request);
    if (!ipAllowed(ip, settings.ipWhitelist)) {
      replyError(sim, reply, 40164, { errmsg: whitelistErrmsg(ip) });
      return false;
    }
  }
  return true;
}
