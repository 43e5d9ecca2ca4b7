import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { AccountSpec, TokenManager } from '../tokens/index.js';
import { AccountRegistry } from './account-registry.js';
import { followAccounts, tokenSpecs } from './follow-accounts.js';
import { SecretBox } from './secret-box.js';

/** A hub's accounts: the registry, and its link to the token engine. */
export interface HubAccounts {
  readonly registry: AccountRegistry;
  /** The accounts the token engine starts with. */
  tokenSpecs(): AccountSpec[];
  /** Keeps `manager` in step with the registry from now on. */
  follow(manager: TokenManager): void;
  /** Stops polling and following. */
  close(): Promise<void>;
}

/** What `openHubAccounts` needs of the hub being built. */
export interface HubAccountsOptions {
  readonly config: Config;
  readonly database: Database;
  readonly logger: FastifyBaseLogger;
  /** Poll interval, ms (tests shorten it). */
  readonly pollMs?: number;
  /** Where `WXHUB_SECRET_KEY` is read when the configuration has no `secretsKey`. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Opens the account registry of a hub (what `createHub` calls): the secrets key from the
 * configuration or the environment, the configuration file's accounts, the database's.
 */
export async function openHubAccounts(options: HubAccountsOptions): Promise<HubAccounts> {
  const registry = await AccountRegistry.open({
    database: options.database,
    configAccounts: options.config.accounts,
    secrets: SecretBox.fromConfig(options.config, options.env),
    logger: options.logger.child({ component: 'accounts' }),
    pollMs: options.pollMs,
  });
  let stop: (() => void) | undefined;
  return {
    registry,
    tokenSpecs: () => tokenSpecs(registry),
    follow(manager) {
      stop?.();
      stop = followAccounts(registry, manager);
    },
    async close() {
      stop?.();
      await registry.close();
    },
  };
}
