import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { signWith } from '../../client/jssdk-api.js';
import {
  AppidParams,
  errorResponses,
  jsonBodiesOnly,
  jsonResponse,
  refuseOverLimit,
} from '../../server/index.js';
import { lifetime, tokenBody } from '../http/credential-body.js';

const expiresIn = z.number().int().meta({ description: 'Seconds left.' });
const expiresAt = z.number().int().meta({ description: 'Epoch seconds.' });

const AccessToken = z
  .object({ access_token: z.string(), expires_in: expiresIn, expires_at: expiresAt })
  .meta({ id: 'AccessToken' });

const Ticket = z
  .object({
    ticket: z.string(),
    type: z.enum(['jsapi', 'wx_card']),
    expires_in: expiresIn,
    expires_at: expiresAt,
  })
  .meta({ id: 'Ticket' });

const JsapiSignature = z
  .object({
    appId: z.string(),
    timestamp: z.number().int().meta({ description: 'Epoch seconds.' }),
    nonceStr: z.string(),
    signature: z.string().meta({ description: 'SHA-1 hex of the sorted fields.' }),
  })
  .meta({ id: 'JsapiSignature' });

/** `http://` or `https://` and a host, in any case. */
const HTTP_URL = /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^/?#]/;

/**
 * `/v1/accounts/:appid/...`: the hub's own token API, what HubTokenProvider speaks. Each answer
 * carries `expires_in` (seconds left) and `expires_at` (epoch seconds). The key is checked in
 * `onRequest`, before any body is read: a caller without a key costs no parsing. Each route's
 * schema validates its request and is what the OpenAPI document says of it.
 */
export const v1CredentialRoutes: FastifyPluginAsync = async (plain) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { manager, clock, gate, metrics } = app.hub;
  jsonBodiesOnly(app);

  app.get(
    '/v1/accounts/:appid/access-token',
    {
      onRequest: gate('token'),
      schema: {
        operationId: 'getAccessToken',
        tags: ['v1'],
        summary: 'The current access_token of an account (scope `token`)',
        params: AppidParams,
        response: {
          200: jsonResponse('The token', AccessToken),
          ...errorResponses([401, 403, 404, 429, 503]),
        },
      },
    },
    async (request) => tokenBody(await manager.getAccessToken(request.params.appid), clock.now()),
  );

  app.post(
    '/v1/accounts/:appid/access-token/refresh',
    {
      onRequest: gate('refresh', { deferLimit: true }),
      schema: {
        operationId: 'refreshAccessToken',
        tags: ['v1'],
        summary: 'Refresh-if-current: report a token WeChat refused (scope `refresh`)',
        description:
          'Refreshes only if `stale_token` is still the current token (one refresh for a storm of reports, fleet-wide); always answers the current token.',
        params: AppidParams,
        body: z.object(
          {
            stale_token: z
              .string({ error: 'is required (the token WeChat refused)' })
              .min(1, 'must not be empty')
              .max(2048, 'must be at most 2048 characters')
              .meta({ description: 'The token WeChat refused.', examples: ['ACCESS_TOKEN_WECHAT_REFUSED'] }),
          },
          { error: 'must be a JSON object' },
        ),
        response: {
          200: jsonResponse('The current token', AccessToken),
          ...errorResponses([400, 401, 403, 404, 413, 415, 429, 503]),
        },
      },
    },
    async (request, reply) => {
      const { appid } = request.params;
      const stale = request.body.stale_token;
      if (request.overLimit) {
        // A report of a token already replaced costs a map lookup: answered even over the limit,
        // so a storm of late reports is absorbed. Only a report that would refresh is refused.
        const current = manager.peekAccessToken(appid);
        if (!current || current.value === stale) refuseOverLimit(request, reply, request.overLimit, metrics);
        return tokenBody(current, clock.now());
      }
      return tokenBody(await manager.refreshAccessToken(appid, stale), clock.now());
    },
  );

  app.get(
    '/v1/accounts/:appid/jsapi-ticket',
    {
      onRequest: gate('token'),
      schema: {
        operationId: 'getJsapiTicket',
        tags: ['v1'],
        summary: 'The JS-SDK (`jsapi`) or card (`wx_card`) ticket (scope `token`)',
        params: AppidParams,
        querystring: z.object({
          type: z
            .enum(['jsapi', 'wx_card'], { error: 'must be jsapi or wx_card' })
            .default('jsapi')
            .meta({ examples: ['jsapi'] }),
        }),
        response: {
          200: jsonResponse('The ticket', Ticket),
          ...errorResponses([400, 401, 403, 404, 429, 503]),
        },
      },
    },
    async (request) => {
      const { type } = request.query;
      const ticket = await manager.getTicket(request.params.appid, type);
      return { ticket: ticket.value, type, ...lifetime(ticket, clock.now()) };
    },
  );

  app.post(
    '/v1/accounts/:appid/jsapi-signature',
    {
      onRequest: gate('token'),
      schema: {
        operationId: 'signJsapi',
        tags: ['v1'],
        summary: 'A `wx.config` signature for a page URL (scope `token`)',
        params: AppidParams,
        body: z.object(
          {
            url: z
              .string({ error: 'is required (the page URL)' })
              .max(4096, 'must be at most 4096 characters')
              .regex(HTTP_URL, 'must be an absolute http(s) URL')
              .refine((url) => URL.canParse(url), 'must be an absolute http(s) URL')
              .meta({
                format: 'uri',
                description: 'The page URL; any #fragment is ignored.',
                examples: ['https://shop.example.com/page?x=1'],
              }),
          },
          { error: 'must be a JSON object' },
        ),
        response: {
          200: jsonResponse('What `wx.config` needs', JsapiSignature),
          ...errorResponses([400, 401, 403, 404, 413, 415, 429, 503]),
        },
      },
    },
    async (request) => {
      const ticket = await manager.getTicket(request.params.appid, 'jsapi');
      return signWith(request.params.appid, ticket.value, request.body.url, clock);
    },
  );
};
