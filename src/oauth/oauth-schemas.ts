import { z } from 'zod';
import { AppidParams, ErrorBody, errorResponses, jsonResponse } from '../server/index.js';
import { STATE_PATTERN } from './login-state.js';
import { RETURN_TO_MAX } from './return-to.js';

/**
 * The route schemas of the login routes: each validates its route's request and is what the
 * OpenAPI document says of it. A login route's messages are whole sentences: the person's error
 * page shows them as they are.
 */

/** `http://` or `https://` and a host, in any case (what checkReturnTo reads as absolute). */
const ABSOLUTE_HTTP = /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^/?#]/;
/** The longest `code` the callback passes on to WeChat. */
const CODE_MAX = 512;

const html = z.string().meta({ description: 'A bilingual page (中文 / English), no script' });

/** A person's page, or the `/v1` error body for `Accept: application/json`. */
const page = (description: string) => ({
  description,
  content: { 'text/html': { schema: html }, 'application/json': { schema: ErrorBody } },
});

const redirect = (description: string) => z.null().meta({ description });

const returnTo = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'return_to is required (the page to come back to)'
        : 'return_to must be given once',
  })
  .max(RETURN_TO_MAX, `return_to must be at most ${RETURN_TO_MAX} characters`)
  .regex(ABSOLUTE_HTTP, 'return_to must be an absolute http(s) URL')
  .meta({
    description:
      "Where to come back; must match the account's `oauth.returnTo` allowlist (docs/login.md), else 400 `WXHUB_ERR_OAUTH_RETURN_TO`.",
    examples: ['https://shop.example.com/after-login?from=menu'],
  });

/** `GET /oauth/:appid/login`. */
export const loginSchema = {
  operationId: 'oauthLogin',
  tags: ['login'],
  summary: 'Start a web login: 302 to WeChat’s authorize page',
  description:
    'Stores a single-use `state` (bound to the appid, `return_to` and scope) for `oauth.stateTtlSeconds`, sets it in an HttpOnly cookie too, and redirects to `{wechat.openBase}/connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state#wechat_redirect` with `redirect_uri` = `{publicUrl or the request origin}/oauth/{appid}/callback`. Login starts are limited per client address (`oauth.loginRateLimit`).',
  security: [],
  params: AppidParams,
  querystring: z.object({
    return_to: returnTo,
    scope: z
      .enum(['snsapi_base', 'snsapi_userinfo'], { error: 'scope must be snsapi_base or snsapi_userinfo' })
      .optional()
      .meta({ description: "Default: the account's `oauth.defaultScope`." }),
  }),
  response: {
    302: redirect("To WeChat's authorize page"),
    400: page(
      '`return_to` not allowed (`WXHUB_ERR_OAUTH_RETURN_TO`), a bad scope or Host (`WXHUB_ERR_INVALID_ARGUMENT`)',
    ),
    404: page('No such account (`WXHUB_ERR_UNKNOWN_ACCOUNT`)'),
    429: page('Too many login starts from this address (`WXHUB_ERR_RATE_LIMITED`), see `Retry-After`'),
    503: page('The store is unavailable (`WXHUB_ERR_STORE_UNAVAILABLE`): try again'),
  },
} as const;

/** `GET /oauth/:appid/callback`. */
export const callbackSchema = {
  operationId: 'oauthCallback',
  tags: ['login'],
  summary: 'Where WeChat sends the browser back: 302 to `return_to?wxhub_ticket=T`',
  description:
    'Takes the state (it works without cookies), exchanges the code, fetches the profile (snsapi_userinfo) and the follow state, binds the identity to a user, and redirects with a single-use ticket. A denied consent (no `code`) redirects with `wxhub_error=access_denied`. A state of another account, or of another browser, is refused without being used up.',
  security: [],
  params: AppidParams,
  querystring: z.object({
    code: z
      .string({ error: 'the callback carries a malformed code' })
      .max(CODE_MAX, 'the callback carries a malformed code')
      .optional()
      .meta({ description: "WeChat's code; absent when the person refused.", examples: ['061Xc2000cbZ'] }),
    state: z
      .string({ error: 'the callback carries no valid state' })
      .regex(STATE_PATTERN, 'the callback carries no valid state')
      .meta({ description: 'The state the login stored.', examples: ['Zq3k9TnR2xW8bL5mV7cY1pD4sF6hJ0aG'] }),
  }),
  response: {
    302: redirect('To `return_to` with `wxhub_ticket` (or `wxhub_error=access_denied`)'),
    400: page(
      'State unknown, used, expired, of another account or of another browser (`WXHUB_ERR_OAUTH_STATE`), or the code malformed or refused (`WXHUB_ERR_OAUTH_CODE`): a "please log in again" page',
    ),
    404: page('No such account (`WXHUB_ERR_UNKNOWN_ACCOUNT`)'),
    502: page('WeChat failed the exchange (`WXHUB_ERR_OAUTH_UPSTREAM`): a "try again" page'),
    503: page('The store or database is unavailable: a "try again" page'),
  },
} as const;

const iso = (description: string) => z.string().meta({ format: 'date-time', description });

/** The login's outcome, as `POST /v1/oauth/tickets/redeem` answers it (see TicketBody). */
export const LoginOutcome = z
  .object({
    user: z
      .object({
        id: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
        unionid: z.string().optional(),
        created_at: iso('When the user was created.'),
      })
      .nullable()
      .meta({
        description: 'Null for a snapshot-page user (`identity.is_snapshotuser: 1`), who is never bound.',
      }),
    identity: z.object({
      appid: z.string(),
      openid: z.string(),
      unionid: z.string().optional(),
      nickname: z
        .string()
        .optional()
        .meta({ description: 'snsapi_userinfo logins only (kept from an earlier one).' }),
      headimgurl: z.string().optional(),
      subscribe: z.literal([0, 1]).meta({ description: 'From /cgi-bin/user/info at login.' }),
      first_login_at: iso('The first login of this identity.'),
      last_login_at: iso('This login.'),
      is_snapshotuser: z
        .literal(1)
        .optional()
        .meta({ description: 'Present for a snapshot-page user only.' }),
    }),
    is_new: z.boolean().meta({ description: 'This login created the user.' }),
  })
  .meta({ id: 'LoginOutcome' });

/** `POST /v1/oauth/tickets/redeem`. */
export const redeemSchema = {
  operationId: 'redeemLoginTicket',
  tags: ['v1'],
  summary: 'Trade a login ticket for the login outcome, once (scope `oauth`)',
  description:
    'The ticket is the `wxhub_ticket` the login callback put on `return_to`; it works once, within `oauth.ticketTtlSeconds` (60 s by default), for a key that covers its appid (a key for another appid gets 403 and the ticket stays redeemable). See docs/login.md.',
  body: z.object(
    {
      ticket: z
        .string({ error: 'is required (the wxhub_ticket the callback gave)' })
        .min(1, 'must not be empty')
        .max(512, 'must be at most 512 characters')
        .meta({
          description: 'The `wxhub_ticket` from `return_to`.',
          examples: ['q2ZbV1kq8d0QmV9x7nXc4aT3yR6uJ5hG2fE1wD0sC9b'],
        }),
    },
    { error: 'must be a JSON object' },
  ),
  response: {
    200: jsonResponse('Who logged in', LoginOutcome),
    ...errorResponses([400, 401, 403, 413, 415, 429], {
      400: 'Bad body (`WXHUB_ERR_INVALID_ARGUMENT`), or the ticket is unknown, used or expired (`WXHUB_ERR_OAUTH_TICKET`)',
    }),
  },
} as const;
