import { randomBytes } from 'node:crypto';
import { LocalTokenProvider } from '../client/local-token-provider.js';
import { WeChatClient } from '../client/wechat-client.js';
import type { AccountConfig } from '../config/index.js';
import { WxhubError } from '../errors/index.js';
import type { HubServices } from '../hub/hub-services.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { parseReturnToRules, type ReturnToRule } from './return-to.js';
import { parseEncryptionKey, TokenCipher } from './token-cipher.js';

/** Where a generated key is kept when the config names none (one per fleet: the first hub decides). */
export const GENERATED_KEY_SETTING = 'oauth.encryption_key';

/** What the login flow, `refreshProfile` and `syncFollowers` share per hub. */
export interface OAuthContext {
  readonly services: HubServices;
  readonly cipher: TokenCipher;
  /** The account's configuration, or undefined when the hub does not serve it. */
  account(appid: string): AccountConfig | undefined;
  /** The account's `oauth.returnTo` allowlist, parsed. */
  returnTo(appid: string): readonly ReturnToRule[];
  /** A WeChatClient on the hub's token engine, HTTP client and WeChat endpoints. */
  client(appid: string): WeChatClient;
}

const contexts = new WeakMap<HubServices, Promise<OAuthContext>>();

/**
 * The OAuth context of a hub, built once: the encryption key is read from `oauth.encryptionKey`
 * or, without one, generated into the database settings (the warning is logged once, by the
 * first caller, normally the login routes at start-up).
 */
export function oauthContext(services: HubServices, logger: Logger = silentLogger): Promise<OAuthContext> {
  let context = contexts.get(services);
  if (!context) {
    context = build(services, logger);
    contexts.set(services, context);
    context.catch(() => contexts.delete(services));
  }
  return context;
}

/** A client for one account, or `WXHUB_ERR_UNKNOWN_ACCOUNT`. */
export async function accountClient(services: HubServices, appid: string): Promise<WeChatClient> {
  return (await oauthContext(services)).client(appid);
}

async function build(services: HubServices, logger: Logger): Promise<OAuthContext> {
  const { config } = services;
  const cipher = new TokenCipher(await encryptionKey(services, logger));
  const accounts = new Map(config.accounts.map((a) => [a.appid, a]));
  const rules = new Map<string, readonly ReturnToRule[]>();
  const clients = new Map<string, WeChatClient>();
  const tokens = new LocalTokenProvider(services.manager);
  const account = (appid: string) => accounts.get(appid);
  return {
    services,
    cipher,
    account,
    returnTo(appid) {
      let parsed = rules.get(appid);
      if (!parsed) {
        parsed = parseReturnToRules(account(appid)?.oauth.returnTo ?? []);
        rules.set(appid, parsed);
      }
      return parsed;
    },
    client(appid) {
      const found = account(appid);
      if (!found) throw new WxhubError('WXHUB_ERR_UNKNOWN_ACCOUNT', appid.slice(0, 64));
      let client = clients.get(appid);
      if (!client) {
        client = new WeChatClient({
          appid,
          secret: found.secret,
          tokens,
          http: services.http,
          clock: services.clock,
          endpoints: { api: config.wechat.apiBase, open: config.wechat.openBase },
          onUpstream: (event) => services.manager.reportUpstream(event),
        });
        clients.set(appid, client);
      }
      return client;
    },
  };
}

async function encryptionKey(services: HubServices, logger: Logger): Promise<Buffer> {
  const configured = services.config.oauth.encryptionKey;
  if (configured) return parseEncryptionKey(configured);
  const stored = await services.database.settings.putIfAbsent(
    GENERATED_KEY_SETTING,
    randomBytes(32).toString('base64url'),
  );
  logger.warn(
    { setting: GENERATED_KEY_SETTING },
    'oauth.encryptionKey is not set: web tokens are sealed with a key generated into the database settings, so anyone who reads the database can open them; set oauth.encryptionKey (32 bytes, base64 or hex, e.g. "env:WXHUB_OAUTH_KEY")',
  );
  return parseEncryptionKey(stored, `database setting ${GENERATED_KEY_SETTING}`);
}
