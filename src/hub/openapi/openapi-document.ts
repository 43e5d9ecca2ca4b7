/**
 * The OpenAPI 3.1 description of the hub's HTTP API, served at `GET /openapi.json` and saved as
 * docs/openapi.json (test/hub/openapi.test.ts keeps the two identical and checks that every
 * registered route is described). Plain data, so it is reviewed like code.
 */

import { DASHBOARD_SCHEMAS, DASHBOARD_TAG, dashboardPaths } from '../../web/dashboard/dashboard-openapi.js';

const appidParam = {
  name: 'appid',
  in: 'path',
  required: true,
  description: 'The Official Account appid, as configured in the hub.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
};

const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const wechatJson = { 'application/json': { schema: { $ref: '#/components/schemas/WeChatError' } } };

const v1Errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: V1_ERROR_TEXT[status] ?? 'Error', content: json('Error') },
    ]),
  );

const V1_ERROR_TEXT: Record<number, string> = {
  400: 'Bad body or query (`WXHUB_ERR_INVALID_ARGUMENT`, the message names the field)',
  401: 'Missing, unknown, wrong or revoked client key (`WXHUB_ERR_UNAUTHORIZED`)',
  403: 'The key lacks the scope or the appid (`WXHUB_ERR_FORBIDDEN`)',
  404: 'No such account (`WXHUB_ERR_UNKNOWN_ACCOUNT`)',
  413: 'Body over the size cap (`WXHUB_ERR_PAYLOAD_TOO_LARGE`)',
  415: 'Body not `application/json` (`WXHUB_ERR_UNSUPPORTED_MEDIA_TYPE`)',
  429: 'Over the key rate limit (`WXHUB_ERR_RATE_LIMITED`), see `Retry-After`',
  503: 'No token could be obtained (`WXHUB_ERR_ACCOUNT_DISABLED`, `WXHUB_ERR_QUOTA_EXHAUSTED`, `WXHUB_ERR_REFRESH_FAILED`, ...)',
};

const proxyOperation = (prefix: string, method: 'get' | 'post') => ({
  operationId: `dropInProxy${prefix === '/cgi-bin' ? 'CgiBin' : 'Sns'}${method === 'get' ? 'Get' : 'Post'}`,
  tags: ['drop-in'],
  summary: `Proxy ${method.toUpperCase()} ${prefix}/* to WeChat with the real token put in`,
  description:
    'Forwarded to `wechat.apiBase` only. `access_token` must be a stand-in from this hub younger than 7200 s, or a client key with the `proxy` scope (its appid: the single one it has, or `?appid=` / `X-Wxhub-Appid`). Anything else answers 40001 with no upstream call. A WeChat answer of 40001/40014/42001 triggers one refresh-if-current and one retry. `/sns/userinfo`, `/sns/auth` and `/sns/oauth2/refresh_token` pass through unchanged; `/sns/oauth2/access_token` takes a client key with the `oauth` scope as `secret`. Paths with `..`, encoded dots or slashes, or double slashes are refused (40066).',
  security: [],
  parameters: [
    {
      name: 'path',
      in: 'path',
      required: true,
      description: 'The rest of the WeChat path.',
      schema: { type: 'string' },
    },
    { name: 'access_token', in: 'query', required: false, schema: { type: 'string' } },
    {
      name: 'appid',
      in: 'query',
      required: false,
      description: 'Selects the account for a multi-appid client key.',
      schema: { type: 'string' },
    },
    { name: 'X-Wxhub-Appid', in: 'header', required: false, schema: { type: 'string' } },
  ],
  ...(method === 'post'
    ? {
        requestBody: {
          description:
            'Any body WeChat takes, up to `dropIn.maxBodyBytes` (default 1 MiB); sent on unchanged.',
          content: { '*/*': {} },
        },
      }
    : {}),
  responses: {
    '200': {
      description: "WeChat's answer: its status, content type and body (JSON or media)",
      content: { '*/*': {} },
    },
    '400': {
      description: 'Path refused (40066) or appid ambiguous for a multi-appid key (41002)',
      content: wechatJson,
    },
    '401': {
      description: 'access_token refused (40001), or a bad `secret` on the code exchange (40125)',
      content: wechatJson,
    },
    '413': { description: 'Body over `dropIn.maxBodyBytes` (45002)', content: wechatJson },
    '429': { description: 'Over the caller rate limit (45011)', content: wechatJson },
    '502': {
      description: 'WeChat unreachable (-1), or a gateway page passed through as sent',
      content: { '*/*': {} },
    },
    '503': {
      description: 'The hub could not obtain a token (-1, or 45009 when the quota is spent)',
      content: wechatJson,
    },
    '504': { description: 'WeChat did not answer within `wechat.timeoutMs` (-1)', content: wechatJson },
  },
});

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'wxhub hub API',
    version: '1',
    description:
      'The central control server for WeChat Official Accounts: tokens, tickets and JS-SDK signatures over `/v1` for client keys, and drop-in WeChat paths for code written against WeChat itself. See docs/hub-api.md.',
  },
  servers: [{ url: '/' }],
  tags: [
    { name: 'v1', description: 'The hub API (`Authorization: Bearer CLIENT_KEY`)' },
    { name: 'drop-in', description: 'WeChat-compatible paths: change the host, nothing else' },
    { name: 'login', description: 'Web login for business apps (browser redirects, no key)' },
    { name: 'operations', description: 'Health, readiness, metrics' },
    DASHBOARD_TAG,
  ],
  security: [{ clientKey: [] }],
  paths: {
    '/v1/accounts/{appid}/access-token': {
      get: {
        operationId: 'getAccessToken',
        tags: ['v1'],
        summary: 'The current access_token of an account (scope `token`)',
        parameters: [appidParam],
        responses: {
          '200': { description: 'The token', content: json('AccessToken') },
          ...v1Errors(401, 403, 404, 429, 503),
        },
      },
    },
    '/v1/accounts/{appid}/access-token/refresh': {
      post: {
        operationId: 'refreshAccessToken',
        tags: ['v1'],
        summary: 'Refresh-if-current: report a token WeChat refused (scope `refresh`)',
        description:
          'Refreshes only if `stale_token` is still the current token (one refresh for a storm of reports, fleet-wide); always answers the current token.',
        parameters: [appidParam],
        requestBody: { required: true, content: json('RefreshRequest') },
        responses: {
          '200': { description: 'The current token', content: json('AccessToken') },
          ...v1Errors(400, 401, 403, 404, 413, 415, 429, 503),
        },
      },
    },
    '/v1/accounts/{appid}/jsapi-ticket': {
      get: {
        operationId: 'getJsapiTicket',
        tags: ['v1'],
        summary: 'The JS-SDK (`jsapi`) or card (`wx_card`) ticket (scope `token`)',
        parameters: [
          appidParam,
          {
            name: 'type',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: ['jsapi', 'wx_card'], default: 'jsapi' },
          },
        ],
        responses: {
          '200': { description: 'The ticket', content: json('Ticket') },
          ...v1Errors(400, 401, 403, 404, 429, 503),
        },
      },
    },
    '/v1/accounts/{appid}/jsapi-signature': {
      post: {
        operationId: 'signJsapi',
        tags: ['v1'],
        summary: 'A `wx.config` signature for a page URL (scope `token`)',
        parameters: [appidParam],
        requestBody: { required: true, content: json('SignatureRequest') },
        responses: {
          '200': { description: 'What `wx.config` needs', content: json('JsapiSignature') },
          ...v1Errors(400, 401, 403, 404, 413, 415, 429, 503),
        },
      },
    },
    '/v1/oauth/tickets/redeem': {
      post: {
        operationId: 'redeemLoginTicket',
        tags: ['v1'],
        summary: 'Trade a login ticket for the login outcome, once (scope `oauth`)',
        description:
          'The ticket is the `wxhub_ticket` the login callback put on `return_to`; it works once, within `oauth.ticketTtlSeconds` (60 s by default), for a key that covers its appid (a key for another appid gets 403 and the ticket stays redeemable). See docs/login.md.',
        requestBody: { required: true, content: json('RedeemRequest') },
        responses: {
          '200': { description: 'Who logged in', content: json('LoginOutcome') },
          '400': {
            description:
              'Bad body (`WXHUB_ERR_INVALID_ARGUMENT`), or the ticket is unknown, used or expired (`WXHUB_ERR_OAUTH_TICKET`)',
            content: json('Error'),
          },
          ...v1Errors(401, 403, 413, 415, 429),
        },
      },
    },
    '/oauth/{appid}/login': {
      get: {
        operationId: 'oauthLogin',
        tags: ['login'],
        summary: 'Start a web login: 302 to WeChat’s authorize page',
        description:
          'Stores a single-use `state` (bound to the appid, `return_to` and scope) for `oauth.stateTtlSeconds`, sets it in an HttpOnly cookie too, and redirects to `{wechat.openBase}/connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state#wechat_redirect` with `redirect_uri` = `{publicUrl or the request origin}/oauth/{appid}/callback`.',
        security: [],
        parameters: [
          appidParam,
          {
            name: 'return_to',
            in: 'query',
            required: true,
            description: "Where to come back; must match the account's `oauth.returnTo` allowlist.",
            schema: { type: 'string', format: 'uri' },
          },
          {
            name: 'scope',
            in: 'query',
            required: false,
            description: "Default: the account's `oauth.defaultScope`.",
            schema: { type: 'string', enum: ['snsapi_base', 'snsapi_userinfo'] },
          },
        ],
        responses: {
          '302': { description: "To WeChat's authorize page" },
          '400': {
            description:
              '`return_to` not allowed (`WXHUB_ERR_OAUTH_RETURN_TO`) or a bad scope: an HTML page, or the `/v1` error body for `Accept: application/json`',
            content: { 'text/html': {}, ...json('Error') },
          },
          '404': {
            description: 'No such account (`WXHUB_ERR_UNKNOWN_ACCOUNT`)',
            content: { 'text/html': {} },
          },
        },
      },
    },
    '/oauth/{appid}/callback': {
      get: {
        operationId: 'oauthCallback',
        tags: ['login'],
        summary: 'Where WeChat sends the browser back: 302 to `return_to?wxhub_ticket=T`',
        description:
          'Takes the state (it works without cookies), exchanges the code, fetches the profile (snsapi_userinfo) and the follow state, binds the identity to a user, and redirects with a single-use ticket. A denied consent redirects with `wxhub_error=access_denied`.',
        security: [],
        parameters: [
          appidParam,
          { name: 'code', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'state', in: 'query', required: true, schema: { type: 'string' } },
        ],
        responses: {
          '302': { description: 'To `return_to` with `wxhub_ticket` (or `wxhub_error=access_denied`)' },
          '400': {
            description:
              'State unknown, used, expired, of another account or of another browser (`WXHUB_ERR_OAUTH_STATE`), or the code refused (`WXHUB_ERR_OAUTH_CODE`): a "please log in again" page',
            content: { 'text/html': {} },
          },
          '404': {
            description: 'No such account (`WXHUB_ERR_UNKNOWN_ACCOUNT`)',
            content: { 'text/html': {} },
          },
          '502': {
            description: 'WeChat failed the exchange (`WXHUB_ERR_OAUTH_UPSTREAM`): a "try again" page',
            content: { 'text/html': {} },
          },
        },
      },
    },
    '/cgi-bin/token': {
      get: {
        operationId: 'dropInToken',
        tags: ['drop-in'],
        summary: "WeChat's /cgi-bin/token, answered by the hub with a stand-in token",
        description:
          "`secret` is a client key with the `token` scope for `appid` (or the real appsecret where the account sets `allowSecretInDropIn`). Errors as WeChat's, in WeChat's order: 41002, 41004, 40002, 40013; a wrong secret answers HTTP 401 with 40125. The stand-in works on this hub's proxy for 7200 s, across token rotations.",
        security: [],
        parameters: [
          {
            name: 'grant_type',
            in: 'query',
            required: true,
            schema: { type: 'string', const: 'client_credential' },
          },
          { name: 'appid', in: 'query', required: true, schema: { type: 'string' } },
          {
            name: 'secret',
            in: 'query',
            required: true,
            description: 'A client key (URL-safe).',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'A stand-in token, or one of WeChat errors 41002 / 40002 / 40013',
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { $ref: '#/components/schemas/DropInToken' },
                    { $ref: '#/components/schemas/WeChatError' },
                  ],
                },
              },
            },
          },
          '401': { description: 'Wrong secret (40125) or none (41004)', content: wechatJson },
          '429': { description: 'Over the key rate limit (45011)', content: wechatJson },
          '503': { description: 'The hub could not obtain a token (-1, or 45009)', content: wechatJson },
        },
      },
    },
    '/cgi-bin/{path}': { get: proxyOperation('/cgi-bin', 'get'), post: proxyOperation('/cgi-bin', 'post') },
    '/sns/{path}': { get: proxyOperation('/sns', 'get'), post: proxyOperation('/sns', 'post') },
    '/healthz': {
      get: {
        operationId: 'healthz',
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        security: [],
        responses: {
          '200': {
            description: 'Alive',
            content: {
              'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } },
            },
          },
        },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readyz',
        tags: ['operations'],
        summary: 'Readiness: store and database reachable, accounts loaded',
        security: [],
        responses: {
          '200': { description: 'Ready', content: json('Readiness') },
          '503': { description: 'Not ready; `reason` names the failed check', content: json('Readiness') },
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        security: [],
        responses: {
          '200': { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        tags: ['operations'],
        summary: 'This document',
        security: [],
        responses: {
          '200': {
            description: 'OpenAPI 3.1',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      },
    },
    ...dashboardPaths(appidParam),
  },
  components: {
    securitySchemes: {
      clientKey: {
        type: 'http',
        scheme: 'bearer',
        description: 'A client key from `wxhub keys create` (`wxk_<id>_<secret>`, URL-safe).',
      },
    },
    schemas: {
      AccessToken: {
        type: 'object',
        required: ['access_token', 'expires_in', 'expires_at'],
        properties: {
          access_token: { type: 'string' },
          expires_in: { type: 'integer', description: 'Seconds left.' },
          expires_at: { type: 'integer', description: 'Epoch seconds.' },
        },
      },
      Ticket: {
        type: 'object',
        required: ['ticket', 'type', 'expires_in', 'expires_at'],
        properties: {
          ticket: { type: 'string' },
          type: { type: 'string', enum: ['jsapi', 'wx_card'] },
          expires_in: { type: 'integer', description: 'Seconds left.' },
          expires_at: { type: 'integer', description: 'Epoch seconds.' },
        },
      },
      JsapiSignature: {
        type: 'object',
        required: ['appId', 'timestamp', 'nonceStr', 'signature'],
        properties: {
          appId: { type: 'string' },
          timestamp: { type: 'integer', description: 'Epoch seconds.' },
          nonceStr: { type: 'string' },
          signature: { type: 'string', description: 'SHA-1 hex of the sorted fields.' },
        },
      },
      RefreshRequest: {
        type: 'object',
        required: ['stale_token'],
        properties: {
          stale_token: { type: 'string', minLength: 1, description: 'The token WeChat refused.' },
        },
      },
      SignatureRequest: {
        type: 'object',
        required: ['url'],
        properties: {
          url: { type: 'string', format: 'uri', description: 'The page URL; any #fragment is ignored.' },
        },
      },
      RedeemRequest: {
        type: 'object',
        required: ['ticket'],
        properties: { ticket: { type: 'string', description: 'The `wxhub_ticket` from `return_to`.' } },
      },
      LoginOutcome: {
        type: 'object',
        required: ['user', 'identity', 'is_new'],
        properties: {
          user: {
            description: 'Null for a snapshot-page user (`identity.is_snapshotuser: 1`), who is never bound.',
            oneOf: [
              {
                type: 'object',
                required: ['id', 'created_at'],
                properties: {
                  id: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' },
                  unionid: { type: 'string' },
                  created_at: { type: 'string', format: 'date-time' },
                },
              },
              { type: 'null' },
            ],
          },
          identity: {
            type: 'object',
            required: ['appid', 'openid', 'subscribe', 'first_login_at', 'last_login_at'],
            properties: {
              appid: { type: 'string' },
              openid: { type: 'string' },
              unionid: { type: 'string' },
              nickname: {
                type: 'string',
                description: 'snsapi_userinfo logins only (kept from an earlier one).',
              },
              headimgurl: { type: 'string' },
              subscribe: { type: 'integer', enum: [0, 1], description: 'From /cgi-bin/user/info at login.' },
              first_login_at: { type: 'string', format: 'date-time' },
              last_login_at: { type: 'string', format: 'date-time' },
              is_snapshotuser: { const: 1 },
            },
          },
          is_new: { type: 'boolean', description: 'This login created the user.' },
        },
      },
      DropInToken: {
        type: 'object',
        required: ['access_token', 'expires_in'],
        properties: {
          access_token: {
            type: 'string',
            pattern: '^[A-Za-z0-9_-]{100,512}$',
            description: 'A hub-signed stand-in.',
          },
          expires_in: { const: 7200 },
        },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', description: 'A stable `WXHUB_ERR_*` code (docs/errors.md).' },
              message: { type: 'string' },
              errcode: { type: 'integer', description: "WeChat's errcode, when the error stands for one." },
            },
          },
        },
      },
      WeChatError: {
        type: 'object',
        required: ['errcode', 'errmsg'],
        properties: { errcode: { type: 'integer' }, errmsg: { type: 'string' } },
      },
      Readiness: {
        type: 'object',
        required: ['status', 'checks'],
        properties: {
          status: { type: 'string', enum: ['ready', 'unavailable'] },
          reason: { type: 'string' },
          checks: {
            type: 'object',
            properties: {
              store: { type: 'string' },
              database: { type: 'string' },
              accounts: { type: 'integer' },
            },
          },
        },
      },
      ...DASHBOARD_SCHEMAS,
    },
  },
} as const;
