import type Provider from 'oidc-provider';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { WxhubError } from '../errors/index.js';
import type { OAuthContext } from '../oauth/oauth-context.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { createProvider } from './create-provider.js';
import type { FollowLoginPort } from './login-routing.js';
import { clientProblems, RuntimeClients } from './oidc-clients.js';
import { providerSecrets } from './provider-secrets.js';
import { SigningKeys } from './signing-keys.js';
import { type ClientWeChat, directWeChatUrl } from './wechat-start.js';

/** How often a hub checks whether another one rotated the signing keys, ms. */
export const KEY_RELOAD_MS = 60_000;

export interface OidcServiceOptions {
  readonly config: Config;
  readonly store: Store;
  readonly database: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The web login's context (its cipher seals the provider's keys; its flow logs users in). */
  readonly login: OAuthContext;
  /** Follow-to-log-in for desktop browsers without a website app, when the hub has it. */
  readonly followLogin?: FollowLoginPort;
}

/** The provider of one hub and what its routes need. */
export interface OidcService {
  /** `{publicUrl}/oidc`. */
  readonly issuer: string;
  /** The provider now (rebuilt when another hub rotated the signing keys). */
  provider(): Provider;
  readonly login: OAuthContext;
  readonly store: Store;
  readonly database: Database;
  readonly clock: Clock;
  readonly followLogin?: FollowLoginPort;
  readonly runtimeClients: RuntimeClients;
  readonly signingKeys: SigningKeys;
  /** Re-reads the signing keys and rebuilds the provider if they changed; true when it did. */
  reload(): Promise<boolean>;
  close(): void;
}

/** The issuer of a hub: `{publicUrl}/oidc`. */
export const issuerOf = (publicUrl: string) => `${publicUrl.replace(/\/+$/, '')}/oidc`;

/**
 * Builds the OpenID Connect provider of a hub, or null when the hub has no `publicUrl` (the
 * issuer must be one fixed URL, the same on every hub of a fleet, so it is never guessed from a
 * request). Clients in the config without a `publicUrl`, or tied to accounts the hub does not
 * serve, reject with `WXHUB_ERR_INVALID_CONFIG`, so the hub does not start half-configured.
 */
export async function createOidcService(options: OidcServiceOptions): Promise<OidcService | null> {
  const { config, store, database, clock, logger, login } = options;
  const { clients } = config.oidc;
  const problems = clientProblems(clients, config.accounts, (i, field) => `oidc.clients[${i}].${field}`);
  if (!config.publicUrl) {
    if (clients.length > 0)
      problems.unshift('oidc.clients needs publicUrl: the issuer is {publicUrl}/oidc, the same on every hub');
    if (problems.length === 0) return null;
  }
  if (problems.length > 0) throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', problems.join('; '));
  const issuer = issuerOf(config.publicUrl!);
  const signingKeys = new SigningKeys(database, login.cipher, clock);
  const runtimeClients = new RuntimeClients(database, clock);
  const secrets = await providerSecrets(database, login.cipher);
  const build = async () =>
    createProvider({
      issuer,
      store,
      database,
      clock,
      logger,
      clients,
      runtimeClients,
      keys: await signingKeys.load(),
      secrets,
      directLogin: (ctx, interaction) =>
        directWeChatUrl(
          { issuer, login, store, clock, followLogin: options.followLogin },
          interaction,
          ctx.get('user-agent'),
          ctx.oidc.client as ClientWeChat | undefined,
        ),
    });
  let current = await build();
  // oidc-provider checks a static client's metadata on first use: check them all now instead.
  for (const [i, client] of clients.entries()) {
    try {
      await current.Client.find(client.client_id);
    } catch (err) {
      const why = (err as { error_description?: string }).error_description ?? 'invalid';
      throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', `oidc.clients[${i}] (${client.client_id}): ${why}`);
    }
  }
  let version = await signingKeys.version();
  const reload = async () => {
    const now = await signingKeys.version();
    if (now === version) return false;
    current = await build();
    version = now;
    logger.info({}, 'oidc signing keys changed: provider rebuilt');
    return true;
  };
  const timer = setInterval(() => {
    reload().catch((err: unknown) =>
      logger.warn({ err: err instanceof Error ? err.message : 'error' }, 'oidc key reload failed'),
    );
  }, KEY_RELOAD_MS);
  timer.unref();
  return {
    issuer,
    provider: () => current,
    login,
    store,
    database,
    clock,
    followLogin: options.followLogin,
    runtimeClients,
    signingKeys,
    reload,
    close: () => clearInterval(timer),
  };
}
