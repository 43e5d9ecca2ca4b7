import { isWeChatError } from '../errors/index.js';
import { callWeChat, HttpClient, type Query } from '../http/index.js';
import { observeUpstream, type UpstreamObserver } from '../http/upstream-event.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import type { TokenMode } from '../tokens/account.js';
import { TokenManager } from '../tokens/token-manager.js';
import { invalidArgument, requireString } from '../util/args.js';
import { type Clock, systemClock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { TOKEN_INVALID_ERRCODES } from '../wechat/errcodes.js';
import { type Endpoints, WECHAT_ENDPOINTS } from '../wechat/paths.js';
import { JssdkApi } from './jssdk-api.js';
import { LocalTokenProvider } from './local-token-provider.js';
import { OAuthApi } from './oauth-api.js';
import type { TokenProvider } from './token-provider.js';
import { UsersApi } from './users-api.js';

export interface WeChatClientOptions {
  readonly appid: string;
  /** The appsecret; needed for a local token engine and for OAuth code exchange. */
  readonly secret?: string;
  /** Where tokens come from. Default: a local TokenManager on `store`. */
  readonly tokens?: TokenProvider;
  /** Store for the local engine; share one (SqliteStore, RedisStore) across processes. Default MemoryStore. */
  readonly store?: Store;
  /** Base URLs of WeChat's hosts; one setting moves every call, OAuth links included. */
  readonly endpoints?: Partial<Endpoints>;
  /** Local engine only: `stable` (default) or `classic`. */
  readonly tokenMode?: TokenMode;
  readonly http?: HttpClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Told of every call this client makes to WeChat (path, errcode, duration): for metrics. */
  readonly onUpstream?: UpstreamObserver;
}

export interface CallOptions {
  readonly query?: Query;
  /** Sent as JSON. */
  readonly body?: unknown;
}

/** Calls a global-token API; the token is put in by the client. */
export type ApiCall = (
  method: 'GET' | 'POST',
  path: string,
  options?: CallOptions,
) => Promise<Record<string, unknown>>;
/** Calls an API whose credentials the caller supplies in the query (OAuth). */
export type PlainCall = (
  method: 'GET' | 'POST',
  path: string,
  query: Query,
) => Promise<Record<string, unknown>>;

/**
 * A typed client for one Official Account. Every call gets the current access_token and, when
 * WeChat calls it dead (40001/40014/42001), refreshes it if still current and retries once.
 * Methods resolve WeChat's JSON with WeChat's field names; failures reject with WeChatError.
 */
export class WeChatClient {
  readonly appid: string;
  readonly tokens: TokenProvider;
  readonly endpoints: Endpoints;
  readonly users: UsersApi;
  readonly oauth: OAuthApi;
  readonly jssdk: JssdkApi;
  readonly #http: HttpClient;
  readonly #onUpstream: UpstreamObserver | undefined;
  readonly #owned: { http: boolean; store?: Store };

  constructor(options: WeChatClientOptions) {
    requireString('appid', options?.appid);
    this.appid = options.appid;
    this.endpoints = resolveEndpoints(options.endpoints);
    this.#http = options.http ?? new HttpClient();
    this.#owned = { http: !options.http };
    this.#onUpstream = options.onUpstream;
    const clock = options.clock ?? systemClock;
    if (options.tokens) {
      this.tokens = options.tokens;
    } else {
      if (!options.secret)
        throw invalidArgument('secret is required unless tokens (e.g. a HubTokenProvider) is given');
      const store = options.store ?? new MemoryStore({ clock });
      if (!options.store) this.#owned.store = store;
      const manager = new TokenManager({
        store,
        accounts: [{ appid: options.appid, secret: options.secret, tokenMode: options.tokenMode }],
        endpoints: this.endpoints,
        http: this.#http,
        clock,
        logger: options.logger,
      });
      this.tokens = new LocalTokenProvider(manager, true);
    }
    const call: ApiCall = (method, path, opts) => this.call(method, path, opts);
    const plain: PlainCall = (method, path, query) =>
      observeUpstream(this.#onUpstream, this.appid, path, () =>
        callWeChat(this.#http, method, this.endpoints.api, path, { query }),
      );
    this.users = new UsersApi(call);
    this.oauth = new OAuthApi(this.appid, options.secret, this.endpoints, plain);
    this.jssdk = new JssdkApi(this.appid, () => this.tokens.getTicket(this.appid, 'jsapi'), clock);
  }

  /** The current access_token. */
  getAccessToken(): Promise<string> {
    return this.tokens.getAccessToken(this.appid);
  }

  /**
   * Any API on the API host that takes the global access_token in its query, e.g.
   * `call('POST', '/cgi-bin/message/custom/send', { body })`.
   */
  async call(
    method: 'GET' | 'POST',
    path: string,
    options: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    if (typeof path !== 'string' || !path.startsWith('/')) throw invalidArgument('path must start with /');
    const token = await this.tokens.getAccessToken(this.appid);
    try {
      return await this.#send(method, path, token, options);
    } catch (err) {
      if (!isWeChatError(err) || !TOKEN_INVALID_ERRCODES.has(err.errcode)) throw err;
      // Exactly one retry: a token that dies twice in a row is WeChat's problem to report.
      const fresh = await this.tokens.refreshAccessToken(this.appid, token);
      return this.#send(method, path, fresh, options);
    }
  }

  async close(): Promise<void> {
    await this.tokens.close?.();
    if (this.#owned.http) await this.#http.close();
    await this.#owned.store?.close();
  }

  #send(
    method: 'GET' | 'POST',
    path: string,
    token: string,
    options: CallOptions,
  ): Promise<Record<string, unknown>> {
    return observeUpstream(this.#onUpstream, this.appid, path, () =>
      callWeChat(this.#http, method, this.endpoints.api, path, {
        query: { ...options.query, access_token: token },
        json: options.body,
      }),
    );
  }
}

/** Fills in WeChat's hosts and checks overrides are http(s) URLs (no trailing slash). */
export function resolveEndpoints(partial?: Partial<Endpoints>): Endpoints {
  const out = { ...WECHAT_ENDPOINTS, ...partial };
  for (const [name, url] of Object.entries(out)) {
    if (typeof url !== 'string' || !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(url)) {
      throw invalidArgument(`endpoints.${name} must be an http(s) base URL`);
    }
  }
  return { api: out.api.replace(/\/+$/, ''), open: out.open.replace(/\/+$/, '') };
}
