import { randomBytes } from 'node:crypto';
import type { TokenProvider } from '../client/token-provider.js';
import { WeChatClient } from '../client/wechat-client.js';
import type { AccountConfig, Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { WxhubError } from '../errors/index.js';
import type { HttpClient, UpstreamObserver } from '../http/index.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { parseReturnToRules, type ReturnToRule } from './return-to.js';
import { parseEncryptionKey, TokenCipher } from './token-cipher.js';

/** Where a generated key is kept when the config names none (one per fleet: the first hub decides). */
export const GENERATED_KEY_SETTING = 'oauth.encryption_key';

/** Exactly what the login flow needs from the server it runs in. */
export interface OAuthOptions {
  /** States and tickets (single-use keys with a TTL), shared by a fleet. */
  readonly store: Store;
  /** Users, identities, and the generated encryption key when the config names none. */
  readonly database: Database;
  readonly clock: Clock;
  /**
   * The accounts served; each one's `oauth` block is its allowlist and default scope. A list is
   * fixed; a lookup (the hub's account registry) is asked on every login, so accounts added,
   * changed or removed at run time apply at once.
   */
  readonly accounts: readonly AccountConfig[] | ((appid: string) => AccountConfig | undefined);
  /** The global access_token (for `/cgi-bin/user/info` at login, and follower sync). */
  readonly tokens: TokenProvider;
  /** The HTTP client to WeChat. */
  readonly http: HttpClient;
  /** Logs the warning about a generated encryption key (once, when the context is built). */
  readonly logger: Logger;
  /** WeChat's hosts. */
  readonly wechat: Pick<Config['wechat'], 'apiBase' | 'openBase'>;
  /** TTLs, the encryption key, the login-start limit. */
  readonly oauth: Config['oauth'];
  /** The hub's public base URL, when set (else the request's origin). */
  readonly publicUrl?: string;
  /** Told of every call the login flow makes to WeChat (metrics). */
  readonly onUpstream?: UpstreamObserver;
}

/** What the login routes, `refreshProfile` and `syncFollowers` share, built once per hub. */
export interface OAuthContext {
  readonly store: Store;
  readonly database: Database;
  readonly clock: Clock;
  readonly oauth: Config['oauth'];
  readonly publicUrl: string | undefined;
  readonly cipher: TokenCipher;
  /** The account's configuration, or undefined when the hub does not serve it. */
  account(appid: string): AccountConfig | undefined;
  /** The account's `oauth.returnTo` allowlist, parsed. */
  returnTo(appid: string): readonly ReturnToRule[];
  /** A WeChatClient on the hub's tokens, HTTP client and WeChat endpoints; `WXHUB_ERR_UNKNOWN_ACCOUNT` else. */
  client(appid: string): WeChatClient;
}

/** Anything that carries a login context, as the hub's services do (`hub.services.login`). */
export interface OAuthSource {
  readonly login: OAuthContext;
}

/**
 * Builds the login context: the encryption key is read from `oauth.encryptionKey` or, without
 * one, generated into the database settings (and a warning logged). `createHub` builds it once,
 * before registering the routes, and hands the same context to the routes and to its services.
 */
export async function oauthContext(options: OAuthOptions): Promise<OAuthContext> {
  const { store, database, clock, oauth, publicUrl } = options;
  const cipher = new TokenCipher(await encryptionKey(options));
  const given = options.accounts;
  const fixed = typeof given === 'function' ? undefined : new Map(given.map((a) => [a.appid, a]));
  const account = typeof given === 'function' ? given : (appid: string) => fixed!.get(appid);
  // Keyed on the account object: a changed account is a new object, so nothing stale is reused.
  const rules = new WeakMap<AccountConfig, readonly ReturnToRule[]>();
  const clients = new WeakMap<AccountConfig, WeChatClient>();
  return {
    store,
    database,
    clock,
    oauth,
    publicUrl,
    cipher,
    account,
    returnTo(appid) {
      const found = account(appid);
      if (!found) return [];
      let parsed = rules.get(found);
      if (!parsed) {
        parsed = parseReturnToRules(found.oauth.returnTo);
        rules.set(found, parsed);
      }
      return parsed;
    },
    client(appid) {
      const found = account(appid);
      if (!found) throw new WxhubError('WXHUB_ERR_UNKNOWN_ACCOUNT', appid.slice(0, 64));
      let client = clients.get(found);
      if (!client) {
        client = new WeChatClient({
          appid,
          secret: found.secret,
          tokens: options.tokens,
          http: options.http,
          clock,
          endpoints: { api: options.wechat.apiBase, open: options.wechat.openBase },
          onUpstream: options.onUpstream,
        });
        clients.set(found, client);
      }
      return client;
    },
  };
}

async function encryptionKey(options: OAuthOptions): Promise<Buffer> {
  const configured = options.oauth.encryptionKey;
  if (configured) return parseEncryptionKey(configured);
  const stored = await options.database.settings.putIfAbsent(
    GENERATED_KEY_SETTING,
    randomBytes(32).toString('base64url'),
  );
  options.logger.warn(
    { setting: GENERATED_KEY_SETTING },
    'oauth.encryptionKey is not set: web tokens are sealed with a key generated into the database settings, so anyone who reads the database can open them; set oauth.encryptionKey (32 bytes, base64 or hex, e.g. "env:WXHUB_OAUTH_KEY")',
  );
  return parseEncryptionKey(stored, `database setting ${GENERATED_KEY_SETTING}`);
}
