import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { hasAppid, jsonBodiesOnly, type KeyGate } from '../server/index.js';
import { type LoginRoutesOptions, loginRoutes } from './login-routes.js';
import { redeemSchema } from './oauth-schemas.js';
import { redeemTicket } from './tickets.js';

/** What the login routes take from the server that mounts them; `createHub` builds it once. */
export interface OAuthRoutesOptions extends LoginRoutesOptions {
  /** The client-key gate of `POST /v1/oauth/tickets/redeem` (scope `oauth`). */
  readonly gate: KeyGate;
}

/**
 * Web login (网页授权) for the business apps: `GET /oauth/:appid/login` sends the browser to
 * WeChat with a server-side state, `GET /oauth/:appid/callback` turns WeChat's code into a bound
 * identity and a single-use ticket on `return_to`, and `POST /v1/oauth/tickets/redeem` (client key,
 * `oauth` scope) trades the ticket for the login's outcome. See docs/login.md.
 */
export const oauthRoutes: FastifyPluginAsync<OAuthRoutesOptions> = async (app, options) => {
  const { login, gate, limiter } = options;
  await app.register(loginRoutes, { login, limiter });
  await app.register(async (plain) => {
    const v1 = plain.withTypeProvider<ZodTypeProvider>();
    jsonBodiesOnly(v1);
    v1.post(
      '/v1/oauth/tickets/redeem',
      { schema: redeemSchema, onRequest: gate('oauth') },
      async (request) => {
        const key = request.clientKey!;
        return redeemTicket(login.store, request.body.ticket, login.clock, (appid) => hasAppid(key, appid));
      },
    );
  });
};
