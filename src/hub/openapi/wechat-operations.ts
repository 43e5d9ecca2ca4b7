import { z } from 'zod';

/**
 * What the OpenAPI document says of the routes that answer WeChat's way rather than by schema
 * validation: the drop-in paths check their parameters in WeChat's own order and answer WeChat's
 * errcodes (a schema refusal would be a different answer), and `/metrics` is Prometheus text.
 * Keyed by route URL; test/hub/openapi.test.ts fails for a registered route that has neither a
 * schema nor an entry here, and checks that each documented parameter is enforced.
 */

const WeChatError = z.object({ errcode: z.number().int(), errmsg: z.string() }).meta({ id: 'WeChatError' });
const anything = (description: string) => ({ description, content: { '*/*': { schema: z.any() } } });

const DropInToken = z
  .object({
    access_token: z
      .string()
      .regex(/^[A-Za-z0-9_-]{100,512}$/)
      .meta({ description: 'A hub-signed stand-in.' }),
    expires_in: z.literal(7200),
  })
  .meta({ id: 'DropInToken' });

const dropInToken = {
  operationId: 'dropInToken',
  tags: ['drop-in'],
  summary: "WeChat's /cgi-bin/token, answered by the hub with a stand-in token",
  description:
    "`secret` is a client key with the `token` scope for `appid` (or the real appsecret where the account sets `allowSecretInDropIn`). Errors as WeChat's, in WeChat's order: 41002, 41004, 40002, 40013; a wrong secret is 40125. The stand-in works on this hub's proxy for 7200 s, across token rotations.",
  security: [],
  querystring: z.object({
    grant_type: z
      .literal('client_credential')
      .meta({ description: 'Else 40002.', examples: ['client_credential'] }),
    appid: z.string().meta({
      description: 'Else 41002; one the hub does not serve: 40013.',
      examples: ['wx1234567890abcdef'],
    }),
    secret: z.string().meta({ description: 'A client key (URL-safe). Else 41004; a wrong one: 40125.' }),
  }),
  response: {
    200: {
      description:
        "A stand-in token, or WeChat's error as WeChat sends it, with HTTP 200: 41002 / 40002 / 40013, a wrong secret (40125) or none (41004), over the key rate limit (45011), no token obtainable (-1, or 45009). The hub's own reason is in the `X-Wxhub-Error` header.",
      content: { 'application/json': { schema: z.union([DropInToken, WeChatError]) } },
    },
  },
};

const proxy = (prefix: '/cgi-bin' | '/sns') => ({
  tags: ['drop-in'],
  summary: `Proxy GET and POST ${prefix}/* to WeChat with the real token put in`,
  description:
    'Forwarded to `wechat.apiBase` only. `access_token` must be a stand-in from this hub younger than 7200 s, or a client key with the `proxy` scope (its appid: the single one it has, or `?appid=` / `X-Wxhub-Appid`). Anything else answers 40001 with no upstream call. A WeChat answer of 40001/40014/42001 triggers one refresh-if-current and one retry. `/sns/userinfo`, `/sns/auth` and `/sns/oauth2/refresh_token` pass through unchanged; `/sns/oauth2/access_token` takes a client key with the `oauth` scope as `secret`. Paths with `..`, encoded dots or slashes, `;` segments or double slashes are refused (40066). A POST body is any body WeChat takes, up to `dropIn.maxBodyBytes` (default 1 MiB), sent on unchanged.',
  security: [],
  params: z.object({ path: z.string().meta({ description: 'The rest of the WeChat path.' }) }),
  querystring: z.object({
    access_token: z
      .string()
      .optional()
      .meta({ description: 'A stand-in, or a client key with the `proxy` scope.' }),
    appid: z.string().optional().meta({ description: 'Selects the account for a multi-appid client key.' }),
  }),
  headers: z.object({
    'x-wxhub-appid': z.string().optional().meta({ description: 'Selects the account, as `appid` does.' }),
  }),
  response: {
    200: anything(
      "WeChat's answer (JSON or media); or the hub's refusal in WeChat's shape, with HTTP 200 as WeChat answers and the reason in `X-Wxhub-Error`: path refused (40066), appid ambiguous (41002), access_token refused (40001), a bad `secret` on the code exchange (40125), body over `dropIn.maxBodyBytes` (45002), over the rate limit (45011), WeChat unreachable or slow, or no token (-1, 45009)",
    ),
    502: anything("A gateway page in front of WeChat, passed through as sent (WeChat's own non-200)"),
  },
});

const metrics = {
  operationId: 'metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics (text exposition format)',
  security: [],
  response: { 200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } } },
};

const callbackParams = z.object({
  appid: z
    .string()
    .meta({ description: 'The account whose push URL this is.', examples: ['wx1234567890abcdef'] }),
});
// Checked by the receiver, not by schema: a push without them is refused as unsigned (401).
const signed = {
  signature: z
    .string()
    .optional()
    .meta({ description: 'sha1 of the sorted Token, timestamp and nonce (hex). Required.' }),
  timestamp: z
    .string()
    .optional()
    .meta({ description: 'Unix seconds, within `gateway.maxSkewSeconds` of the hub clock. Required.' }),
  nonce: z.string().optional().meta({ description: 'Required.' }),
};
const callbackRefusals = {
  400: anything(
    '`WXHUB_ERR_CALLBACK_XML`, `WXHUB_ERR_INVALID_ARGUMENT`: a malformed push (the code as plain text)',
  ),
  403: anything('`WXHUB_ERR_CALLBACK_SIGNATURE`: a forged, stale or downgraded push; nothing is stored'),
  404: anything('`WXHUB_ERR_CALLBACK_NOT_CONFIGURED`: the account has no `callback` block'),
};

const callbackCheck = {
  operationId: 'callbackUrlCheck',
  tags: ['callback'],
  summary: "WeChat's URL check of the push URL (服务器配置)",
  description:
    "WeChat calls this when the server configuration is saved in its console: the answer is `echostr` as plain text when the signature is made with the account's `callback.token`.",
  security: [],
  params: callbackParams,
  querystring: z.object({ ...signed, echostr: z.string().optional().meta({ description: 'Required.' }) }),
  response: {
    200: { description: 'The echostr', content: { 'text/plain': { schema: z.string() } } },
    ...callbackRefusals,
  },
};

const callbackPush = {
  operationId: 'callbackPush',
  tags: ['callback'],
  summary: 'A message or event pushed by WeChat (XML, plaintext, compatible or safe mode)',
  description:
    "Verified (signature, and `msg_signature` when encrypted), decrypted, deduplicated (MsgId; FromUserName + CreateTime for events), written to the event log, then answered: `success`, or the reply subscriber's reply as WeChat's reply XML (encrypted when the push was). A retry of an accepted push gets the same answer and is delivered once. A store failure answers 503 so WeChat tries again. Bodies are capped at 64 KiB; DOCTYPE and entities are refused.",
  security: [],
  params: callbackParams,
  querystring: z.object({
    ...signed,
    openid: z.string().optional(),
    encrypt_type: z.string().optional().meta({ description: '`aes` in compatible and safe mode.' }),
    msg_signature: z
      .string()
      .optional()
      .meta({ description: 'sha1 of the sorted Token, timestamp, nonce and Encrypt.' }),
  }),
  response: {
    200: {
      description: '`success`, or the reply XML',
      content: { 'text/plain': { schema: z.string() }, 'application/xml': { schema: z.string() } },
    },
    ...callbackRefusals,
    413: anything('Body over 64 KiB'),
    503: anything('The event log could not be written: WeChat retries'),
  },
};

/** A route documented here: the schema it would declare, and the path the document shows. */
export interface DocumentedRoute {
  readonly url: string;
  readonly schema: Record<string, unknown>;
}

/** The routes documented here rather than by a schema of their own, by route URL (or `METHOD URL`). */
export const WECHAT_SHAPED_ROUTES: ReadonlyMap<string, DocumentedRoute> = new Map([
  ['/cgi-bin/token', { url: '/cgi-bin/token', schema: dropInToken }],
  ['/cgi-bin/*', { url: '/cgi-bin/{path}', schema: proxy('/cgi-bin') }],
  ['/sns/*', { url: '/sns/{path}', schema: proxy('/sns') }],
  ['/metrics', { url: '/metrics', schema: metrics }],
  ['GET /callback/:appid', { url: '/callback/{appid}', schema: callbackCheck }],
  ['POST /callback/:appid', { url: '/callback/{appid}', schema: callbackPush }],
]);
