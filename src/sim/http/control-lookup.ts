import type { FastifyReply } from 'fastify';
import type { SimAccount, SimUser } from '../state/account.js';
import type { SimState } from '../state/sim-state.js';
import { controlError } from './control-reply.js';

/** The account, or undefined after answering 404. */
export function accountOr404(sim: SimState, appid: string, reply: FastifyReply): SimAccount | undefined {
  const account = sim.accounts.get(appid);
  if (!account) controlError(reply, 404, 'not_found', `no simulated account ${appid}`);
  return account;
}

/** The account's user, or undefined after answering 404 (the simulator never invents users). */
export function userOr404(account: SimAccount, openid: string, reply: FastifyReply): SimUser | undefined {
  const user = account.user(openid);
  if (!user) {
    controlError(
      reply,
      404,
      'not_found',
      `${openid} is not a user of ${account.appid}; create it with POST /__sim/accounts/${account.appid}/users`,
    );
  }
  return user;
}
