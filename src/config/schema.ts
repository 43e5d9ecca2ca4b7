import { z } from 'zod';
import { DEFAULT_CONNECTIONS } from '../http/http-client.js';
import { callbackSchema, gatewaySchema, subscriberSchema } from './gateway-schema.js';

/** A secret is given inline or as `env:NAME`, read from the environment at load time. */
const secret = z.string().min(1, 'must not be empty');

const baseUrl = z
  .string()
  .regex(/^https?:\/\/[^/?#]+(\/[^?#]*)?$/, 'must be an http(s) base URL')
  .transform((url) => url.replace(/\/+$/, ''));

/** `return_to` allowlist entries: an origin, optionally with a path prefix. */
export const returnTo = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash;
  } catch {
    return false;
  }
}, 'must be an http(s) origin, optionally with a path prefix, e.g. https://shop.example.com/account');

/** A 32-byte key as 64 hex digits or base64 / base64url (usually `env:NAME`). */
const encryptionKey = z
  .string()
  .refine(
    (value) => /^[0-9a-fA-F]{64}$/.test(value) || /^[A-Za-z0-9+/_-]{43}=?$/.test(value),
    'must be 32 bytes as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)',
  );

/** WeChat's form of an appid: `wx` and 16 lowercase hex digits, e.g. `wx1234567890abcdef`. */
export const WECHAT_APPID = /^wx[0-9a-f]{16}$/;

/** What a person is told when an appid is not of WeChat's form (the value is not echoed). */
export const APPID_HINT =
  'must be wx followed by 16 hex digits, e.g. wx1234567890abcdef (the AppID under 设置与开发 → 基本配置 on mp.weixin.qq.com)';

/**
 * A connection string for `store` or `database`: its scheme is checked here, so a wrong one is
 * reported with its field and every other problem at start. Only the scheme is ever shown: the
 * rest of the URL may hold a password.
 */
function connectionUrl(what: 'store' | 'database', schemes: readonly string[], takes: string) {
  return z
    .string()
    .min(1, 'must not be empty')
    .superRefine((url, ctx) => {
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
      if (scheme === 'sqlite' && !url.slice('sqlite:'.length).replace(/^\/\//, '')) {
        ctx.addIssue({ code: 'custom', message: 'sqlite: needs a path, e.g. sqlite:.wxhub/wxhub.db' });
      } else if (scheme === undefined || !schemes.includes(scheme)) {
        const shown = scheme === undefined ? 'no scheme' : `unsupported scheme "${scheme}:"`;
        const redis =
          what === 'database' && scheme?.startsWith('redis')
            ? ' (Redis can hold the store, not the database)'
            : '';
        ctx.addIssue({ code: 'custom', message: `${shown}; the ${what} takes ${takes}${redis}` });
      }
    });
}

const account = z.strictObject({
  appid: z.string().regex(WECHAT_APPID, APPID_HINT),
  secret,
  name: z.string().optional(),
  /**
   * `website`: an Open Platform website app (QR login, docs/oidc.md): only its appid and secret
   * are used, it never gets an access_token. Absent: an Official Account.
   */
  kind: z.enum(['official', 'website']).optional(),
  tokenMode: z.enum(['stable', 'classic']).default('stable'),
  refreshMarginSeconds: z.number().int().min(30).max(3600).optional(),
  dailyBudget: z.number().int().positive().default(2000),
  /** Drop-in `/cgi-bin/token` may be called with the real appsecret (legacy code that can't change it). */
  allowSecretInDropIn: z.boolean().default(false),
  oauth: z
    .strictObject({
      returnTo: z.array(returnTo).default([]),
      defaultScope: z.enum(['snsapi_base', 'snsapi_userinfo']).default('snsapi_base'),
    })
    .default({ returnTo: [], defaultScope: 'snsapi_base' }),
  /** The push URL `/callback/:appid` (服务器配置): see docs/gateway.md. */
  callback: callbackSchema.optional(),
});

/** An absolute http(s) URL without a fragment (OpenID Connect redirect URIs are matched exactly). */
const redirectUri = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.hash;
  } catch {
    return false;
  }
}, 'must be an absolute http(s) URL without a #fragment');

/** A relying party of the OpenID Connect provider (docs/oidc.md). */
export const oidcClientSchema = z.strictObject({
  client_id: z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/, 'must be 1-128 of [A-Za-z0-9._~-]'),
  /** Absent: a public client (PKCE required, no secret). */
  client_secret: z.string().min(32, 'must be at least 32 characters').optional(),
  /** How a confidential client sends its secret. Default `client_secret_basic`. */
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
  redirect_uris: z.array(redirectUri).min(1, 'must list at least one URI'),
  post_logout_redirect_uris: z.array(redirectUri).default([]),
  /** The Official Account whose users log in (an `accounts` entry). */
  appid: z.string().regex(WECHAT_APPID, APPID_HINT),
  /** An Open Platform website app (`accounts` entry with `kind: "website"`) for desktop QR login. */
  websiteAppid: z.string().regex(WECHAT_APPID, APPID_HINT).optional(),
  /** A `sub` of its own for this client (pairwise subject identifiers). */
  pairwise: z.boolean().default(false),
  /** How its ID tokens are signed: `RS256` (default, what OpenID Connect requires of everyone) or `ES256`. */
  id_token_signed_response_alg: z.enum(['RS256', 'ES256']).optional(),
});

/**
 * The one configuration schema (wxhub.config.json). Defaults live here, so a config of `{}` is a
 * working single-machine hub on SQLite under ./.wxhub/.
 */
export const configSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
    })
    .default({ host: '127.0.0.1', port: 8080 }),
  /** Where tokens, leases and counters live: `sqlite:PATH`, `redis://...`, `memory:`. */
  store: connectionUrl(
    'store',
    ['sqlite', 'redis', 'rediss', 'redis+sentinel', 'postgres', 'postgresql', 'memory'],
    'sqlite:PATH, redis://HOST:PORT/DB, rediss://, redis+sentinel://, postgres://, postgresql:// or memory:',
  ).default('sqlite:.wxhub/wxhub.db'),
  /** Where users, identities and client keys live: `sqlite:PATH` or `postgres://...`. */
  database: connectionUrl(
    'database',
    ['sqlite', 'postgres', 'postgresql', 'memory'],
    'sqlite:PATH, postgres://, postgresql:// or memory:',
  ).default('sqlite:.wxhub/wxhub.db'),
  /** The hub's public base URL (behind a proxy); else built from each request's origin. */
  publicUrl: baseUrl.optional(),
  wechat: z
    .strictObject({
      apiBase: baseUrl.default('https://api.weixin.qq.com'),
      openBase: baseUrl.default('https://open.weixin.qq.com'),
      /** mp.weixin.qq.com: where browsers load a parametric QR code's image (`showqrcode`). */
      mpBase: baseUrl.default('https://mp.weixin.qq.com'),
      timeoutMs: z.number().int().min(100).max(60_000).default(5000),
      /** Keep-alive sockets per WeChat host, for token fetches and API calls; the proxy has as many. */
      connections: z.number().int().min(1).max(1024).default(DEFAULT_CONNECTIONS),
    })
    .default({
      apiBase: 'https://api.weixin.qq.com',
      openBase: 'https://open.weixin.qq.com',
      mpBase: 'https://mp.weixin.qq.com',
      timeoutMs: 5000,
      connections: DEFAULT_CONNECTIONS,
    }),
  accounts: z.array(account).default([]),
  /**
   * AES-256-GCM key sealing the appsecrets of accounts added at run time (`wxhub accounts add`),
   * e.g. `env:WXHUB_SECRET_KEY`. Absent: the environment variable WXHUB_SECRET_KEY, if set.
   */
  secretsKey: encryptionKey.optional(),
  /** Consumers of the callback gateway's pushes: webhooks and broker sinks (docs/gateway.md). */
  subscribers: z.array(subscriberSchema).default([]),
  /** How the callback gateway keeps and delivers events (docs/gateway.md). */
  gateway: gatewaySchema,
  /** Per client key token bucket; a key's own limit (`wxhub keys create --rate-limit`) wins. */
  rateLimit: z
    .strictObject({
      perSecond: z.number().positive().max(1_000_000).default(1000),
      burst: z.number().int().min(1).max(1_000_000).default(2000),
    })
    .default({ perSecond: 1000, burst: 2000 }),
  /** The drop-in endpoints (`/cgi-bin/*`, `/sns/*`) for code written against WeChat itself. */
  dropIn: z
    .strictObject({
      /** Largest request body the proxy buffers (and can resend after a refresh), bytes. */
      maxBodyBytes: z
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
      /**
       * The HMAC key for stand-in tokens (32+ characters, e.g. `env:WXHUB_DROPIN_KEY`). Absent: a
       * key generated once and kept in the database, so a fleet sharing it agrees.
       */
      signingKey: z.string().min(32, 'must be at least 32 characters').optional(),
      /** Keys that signed earlier stand-ins, still accepted (keep one for 2 h after a rotation). */
      previousSigningKeys: z.array(z.string().min(32, 'must be at least 32 characters')).default([]),
    })
    .default({ maxBodyBytes: 1024 * 1024, previousSigningKeys: [] }),
  /** Web login (`/oauth/:appid/login`): see docs/login.md. */
  oauth: z
    .strictObject({
      /**
       * AES-256-GCM key sealing the web tokens kept for profile refresh (e.g. `env:WXHUB_OAUTH_KEY`).
       * Absent: a key generated once and kept in the database settings (a warning says so).
       */
      encryptionKey: encryptionKey.optional(),
      /** How long a login may take between the redirect to WeChat and the callback, s. */
      stateTtlSeconds: z.number().int().min(30).max(3600).default(600),
      /** How long the business app has to redeem a login ticket, s. */
      ticketTtlSeconds: z.number().int().min(5).max(600).default(60),
      /**
       * Login starts per client address (an IPv6 /64), each of which keeps a state for
       * `stateTtlSeconds`: a token bucket, per hub. Behind a reverse proxy set `trustProxy`, or
       * every visitor shares the proxy's address.
       */
      loginRateLimit: z
        .strictObject({
          perSecond: z.number().positive().max(1_000_000).default(10),
          burst: z.number().int().min(1).max(1_000_000).default(100),
        })
        .default({ perSecond: 10, burst: 100 }),
    })
    .default({ stateTtlSeconds: 600, ticketTtlSeconds: 60, loginRateLimit: { perSecond: 10, burst: 100 } }),
  /** The OpenID Connect provider at `{publicUrl}/oidc` (docs/oidc.md); needs `publicUrl`. */
  oidc: z
    .strictObject({
      clients: z.array(oidcClientSchema).default([]),
    })
    .default({ clients: [] }),
  /** Follower sync (`/cgi-bin/user/get`, 500 calls a day per account): see docs/web.md. */
  followers: z
    .strictObject({
      /** Seconds between scheduled syncs of each account, fleet-wide; 0 turns the schedule off. */
      syncIntervalSeconds: z
        .number()
        .int()
        .min(0)
        .max(30 * 86_400)
        .refine((s) => s === 0 || s >= 600, 'must be 0 (off) or at least 600')
        .default(86_400),
    })
    .default({ syncIntervalSeconds: 86_400 }),
  /** Trust `X-Forwarded-*` from a reverse proxy in front of the hub (client IPs in logs). */
  trustProxy: z.boolean().default(false),
  logging: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /**
       * Which requests get an access line: `errors` (answered 4xx/5xx, or slower than a second),
       * `all`, or `off`. Metrics count every request either way.
       */
      requests: z.enum(['all', 'errors', 'off']).default('errors'),
      /** `json` lines (the default, for log collectors) or `pretty` lines for a person at a terminal. */
      format: z.enum(['json', 'pretty']).default('json'),
    })
    .default({ level: 'info', requests: 'errors', format: 'json' }),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type AccountConfig = Config['accounts'][number];
