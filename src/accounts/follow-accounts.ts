import type { AccountSpec, TokenManager } from '../tokens/index.js';
import type { AccountChange, AccountRegistry, RegisteredAccount } from './account-registry.js';

/** Whether the token engine manages `account`: served, and one that has an access_token. */
export function needsToken(account: RegisteredAccount): boolean {
  return account.enabled && account.kind === 'official';
}

/** The token engine's view of an account. */
export function tokenSpec(account: RegisteredAccount): AccountSpec {
  return {
    appid: account.appid,
    secret: account.secret,
    tokenMode: account.tokenMode,
    refreshMarginSeconds: account.refreshMarginSeconds,
    dailyBudget: account.dailyBudget,
  };
}

/** The specs of every account the registry has that the engine manages (its start-up list). */
export function tokenSpecs(registry: AccountRegistry): AccountSpec[] {
  return registry.list().filter(needsToken).map(tokenSpec);
}

/**
 * Keeps `manager` in step with `registry`: accounts added, changed, disabled or removed at run
 * time are added to or removed from the engine, and an operator's enable ends a cool-down. A
 * changed appsecret ends it too (a wrong secret, 40125, is what it may have fixed). Returns the
 * function that stops following.
 */
export function followAccounts(registry: AccountRegistry, manager: TokenManager): () => void {
  return registry.onChange((change: AccountChange) => {
    if (change.type === 'enabled') {
      if (manager.hasAccount(change.appid)) manager.enable(change.appid);
      return;
    }
    const { account } = change;
    if (change.type === 'removed' || !needsToken(account)) {
      manager.removeAccount(account.appid);
      return;
    }
    manager.addAccount(tokenSpec(account));
    if (change.type === 'updated' && change.previous.secret !== account.secret) manager.enable(account.appid);
  });
}
