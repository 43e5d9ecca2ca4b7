import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { signWith } from '../../client/jssdk-api.js';
import { lifetime, tokenBody } from '../http/credential-body.js';
import { parseWith } from '../http/parse-body.js';
import { requireKey } from '../http/v1-auth.js';

interface AppidParams {
  appid: string;
}

const refreshBody = z.object(
  {
    stale_token: z
      .string({ error: 'is required (the token WeChat refused)' })
      .min(1, 'must not be empty')
      .max(2048),
  },
  { error: 'must be a JSON object' },
);
const signatureBody = z.object(
  {
    url: z
      .string({ error: 'is required (the page URL)' })
      .max(4096, 'must be at most 4096 characters')
      .refine(isHttpUrl, 'must be an absolute http(s) URL'),
  },
  { error: 'must be a JSON object' },
);
const ticketQuery = z.object({
  type: z.enum(['jsapi', 'wx_card'], { error: 'must be jsapi or wx_card' }).default('jsapi'),
});

/**
 * `/v1/accounts/:appid/...`: the hub's own token API, what HubTokenProvider speaks. Each answer
 * carries `expires_in` (seconds left) and `expires_at` (epoch seconds). The key is checked in
 * `onRequest`, before any body is read: a caller without a key costs no parsing.
 */
export const v1CredentialRoutes: FastifyPluginAsync = async (app) => {
  const { manager, clock } = app.hub;

  app.get<{ Params: AppidParams }>(
    '/v1/accounts/:appid/access-token',
    { onRequest: requireKey('token') },
    async (request) => tokenBody(await manager.getAccessToken(request.params.appid), clock.now()),
  );

  app.post<{ Params: AppidParams }>(
    '/v1/accounts/:appid/access-token/refresh',
    { onRequest: requireKey('refresh') },
    async (request) => {
      const { stale_token } = parseWith(refreshBody, request.body, 'body');
      return tokenBody(await manager.refreshAccessToken(request.params.appid, stale_token), clock.now());
    },
  );

  app.get<{ Params: AppidParams }>(
    '/v1/accounts/:appid/jsapi-ticket',
    { onRequest: requireKey('token') },
    async (request) => {
      const { type } = parseWith(ticketQuery, request.query, 'query');
      const ticket = await manager.getTicket(request.params.appid, type);
      return { ticket: ticket.value, type, ...lifetime(ticket, clock.now()) };
    },
  );

  app.post<{ Params: AppidParams }>(
    '/v1/accounts/:appid/jsapi-signature',
    { onRequest: requireKey('token') },
    async (request) => {
      const { url } = parseWith(signatureBody, request.body, 'body');
      const ticket = await manager.getTicket(request.params.appid, 'jsapi');
      return signWith(request.params.appid, ticket.value, url, clock);
    },
  );
};

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
