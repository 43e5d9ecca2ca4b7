import { randomBytes } from 'node:crypto';
import { AccountAdmin, type AccountChange, AccountRegistry, SecretBox } from '../../../src/accounts/index.js';
import type { AccountConfig } from '../../../src/config/index.js';
import { type AccountRecord, MemoryDatabase } from '../../../src/db/index.js';
import { systemClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';

/**
 * A registry over an in-memory database with `configAccounts` as the file's, the admin that
 * writes it (applied at once, as on the hub that takes an API call, whose webhook subscribers are
 * `webhookSubscribers`), and the changes it told.
 */
export async function accountsWorld(
  configAccounts: readonly AccountConfig[] = [],
  webhookSubscribers: readonly string[] = ['crm'],
) {
  const database = new MemoryDatabase();
  const secrets = new SecretBox(randomBytes(32));
  const registry = await AccountRegistry.open({ database, configAccounts, secrets, logger: silentLogger });
  const admin = new AccountAdmin({
    database,
    secrets,
    configAppids: () => registry.configAppids(),
    clock: systemClock,
    isWebhookSubscriber: (name) => webhookSubscribers.includes(name),
    afterChange: () => registry.sync(),
  });
  const changes: string[] = [];
  registry.onChange((c: AccountChange) =>
    changes.push(`${c.type} ${c.type === 'enabled' ? c.appid : c.account.appid}`),
  );
  return { database, secrets, registry, admin, changes };
}

/** A runtime account row as another hub or an older version may have written it. */
export function storedRow(
  appid: string,
  sealedSecret: string,
  overrides: Partial<AccountRecord> = {},
): AccountRecord {
  return {
    appid,
    kind: 'official',
    name: null,
    sealedSecret,
    tokenMode: 'stable',
    enabled: true,
    returnTo: [],
    createdAt: 1,
    updatedAt: 1,
    version: 1,
    ...overrides,
  };
}
