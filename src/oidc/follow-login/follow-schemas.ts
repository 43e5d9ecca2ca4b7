import { z } from 'zod';
import { ErrorBody, errorResponses, jsonResponse } from '../../server/index.js';

/**
 * The route schemas of the follow-to-log-in pages: each validates its route's request and is what
 * the OpenAPI document says of it.
 */

/** The claim secret in a `pageUrl`: 32 random bytes, base64url. */
export const CLAIM_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: z.string().meta({ description: 'A bilingual page (中文 / English)' }) } },
});

const params = z.object({
  id: z.string().meta({
    description: 'The login id `FollowLogin.start` returned (32 letters and digits).',
    examples: ['Zq3k9TnR2xW8bL5mV7cY1pD4sF6hJ0aG'],
  }),
});

/** `GET /login/follow/:id`. */
export const followPageSchema = {
  operationId: 'followLoginPage',
  tags: ['login'],
  summary: 'The follow-to-log-in page: a QR code to scan with WeChat',
  description:
    "Shows a temporary parametric QR code (`<img>` of `{wechat.mpBase}/cgi-bin/showqrcode?ticket=`, the ticket also in `data-ticket`) and reloads every 2 s without script (a small poller of the status endpoint with script). The first request with `?claim=` gives the browser the binding cookie and 303s to the page without it; once the scan's `subscribe` or `SCAN` event arrived, the page 302s the bound browser to the login's continue URL. Without the cookie it never does. See docs/oidc.md.",
  security: [],
  params,
  querystring: z.object({
    claim: z
      .string({ error: 'claim must be given once' })
      .regex(CLAIM_PATTERN, 'this login link is not valid')
      .optional()
      .meta({ description: 'The one-time claim of the `pageUrl`: binds the page to this browser.' }),
  }),
  response: {
    200: html('Waiting for the scan: the QR code'),
    302: z.null().meta({ description: 'The scan arrived: to the continue URL (bound browser only)' }),
    303: z.null().meta({ description: 'After a claim: to the page without `claim`' }),
    400: {
      description: 'A malformed claim (`WXHUB_ERR_INVALID_ARGUMENT`)',
      content: { 'text/html': { schema: z.string() }, 'application/json': { schema: ErrorBody } },
    },
    403: html('Not the browser that claimed the page (`WXHUB_ERR_FOLLOW_LOGIN_BROWSER`)'),
    410: html('Expired, used or unknown (`WXHUB_ERR_FOLLOW_LOGIN_EXPIRED`): "log in again"'),
    503: html('The store is unavailable: "try again"'),
  },
} as const;

/** `GET /login/follow/:id/status`. */
export const followStatusSchema = {
  operationId: 'followLoginStatus',
  tags: ['login'],
  summary: 'Whether the follow-to-log-in QR code was scanned (for a polling script)',
  description:
    "For the browser that claimed the page (its cookie): `pending` until the scan's event arrived, then `scanned` (reload the page: it redirects), or `expired`.",
  security: [],
  params,
  response: {
    200: jsonResponse(
      "The login's status",
      z.object({
        status: z.enum(['pending', 'scanned', 'expired']),
        expires_at: z.string().meta({ format: 'date-time', description: 'When the QR code stops working.' }),
      }),
    ),
    ...errorResponses([400, 403, 410, 503], {
      403: 'Not the browser that claimed the page (`WXHUB_ERR_FOLLOW_LOGIN_BROWSER`)',
      410: 'Expired, used or unknown (`WXHUB_ERR_FOLLOW_LOGIN_EXPIRED`)',
      503: 'The store is unavailable (`WXHUB_ERR_STORE_UNAVAILABLE`)',
    }),
  },
} as const;
