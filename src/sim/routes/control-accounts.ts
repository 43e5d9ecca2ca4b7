import type { FastifyPluginCallback } from 'fastify';
import { z } from 'zod';
import { isWxhubError } from '../../errors/index.js';
import { accountPostSchema, userInputSchema } from '../fixture-schema.js';
import { accountOr404 } from '../http/control-lookup.js';
import { controlError, parseBody } from '../http/control-reply.js';
import { originOf } from '../http/origin.js';
import type { SimAccount } from '../state/account.js';
import type { TokenKind } from '../state/global-tokens.js';
import type { SimState } from '../state/sim-state.js';
import { controlUserView } from '../user-views.js';

const invalidateSchema = z
  .object({
    /** Die now instead of after the account's overlap. */
    immediate: z.boolean().optional(),
    /** Which family: classic (default, "someone else called /cgi-bin/token"), stable, or all. */
    kind: z.enum(['classic', 'stable', 'all']).optional(),
  })
  .strict();

type AppidParams = { Params: { appid: string } };

function accountView(account: SimAccount): Record<string, unknown> {
  const server = account.server;
  return {
    ...account.settings,
    userCount: account.users.length,
    followerCount: account.followerCount,
    // The token and EncodingAESKey stay out: the view is for looking, not for copying secrets.
    server: server ? { url: server.url, mode: server.mode, timeoutMs: server.timeoutMs ?? null } : null,
  };
}

/**
 * Control plane, accounts and users: `POST/GET /__sim/accounts`, `GET /__sim/accounts/:appid`,
 * `POST/GET /__sim/accounts/:appid/users`, `POST /__sim/accounts/:appid/invalidate-tokens`.
 */
export const controlAccountRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  // A whole fixture's worth of users may come in one request.
  app.post('/accounts', { bodyLimit: 64 * 1024 * 1024 }, (request, reply) => {
    const input = parseBody(accountPostSchema, request, reply);
    if (!input) return reply;
    try {
      const { account } = sim.accounts.upsert(input, sim.now());
      return reply.code(201).send({ appid: account.appid });
    } catch (err) {
      if (isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')) {
        return controlError(reply, 400, 'invalid_request', err.message.replace(/^Invalid argument: /, ''));
      }
      throw err;
    }
  });

  app.get('/accounts', (_request, reply) => reply.send({ accounts: sim.accounts.list().map(accountView) }));

  app.get<AppidParams>('/accounts/:appid', (request, reply) => {
    const account = accountOr404(sim, request.params.appid, reply);
    return account ? reply.send(accountView(account)) : reply;
  });

  app.get<AppidParams>('/accounts/:appid/users', (request, reply) => {
    const account = accountOr404(sim, request.params.appid, reply);
    if (!account) return reply;
    const origin = originOf(sim, request);
    return reply.send({ users: account.users.map((user) => controlUserView(user, origin)) });
  });

  app.post<AppidParams>('/accounts/:appid/users', (request, reply) => {
    const account = accountOr404(sim, request.params.appid, reply);
    if (!account) return reply;
    const input = parseBody(userInputSchema, request, reply);
    if (!input) return reply;
    const { user } = account.upsertUser(input, sim.now());
    return reply.code(201).send(controlUserView(user, originOf(sim, request)));
  });

  app.post<AppidParams>('/accounts/:appid/invalidate-tokens', (request, reply) => {
    const account = accountOr404(sim, request.params.appid, reply);
    if (!account) return reply;
    const input = parseBody(invalidateSchema, request, reply);
    if (!input) return reply;
    const now = sim.now();
    const delayMs = input.immediate ? 0 : account.settings.tokenOverlapSeconds * 1000;
    const kind = input.kind ?? 'classic';
    const kinds: TokenKind[] = kind === 'all' ? ['classic', 'stable'] : [kind];
    const invalidated = sim.tokens.invalidate(account.appid, kinds, delayMs, now);
    return reply.send({ appid: account.appid, kind, invalidated, diesAt: now + delayMs });
  });

  done();
};
