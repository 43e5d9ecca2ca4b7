import type { AccountPost } from '../fixture-schema.js';
import type { SimFixture, SimUserInput } from '../types.js';
import { mergeSettings, SimAccount, type SimUser } from './account.js';

/** Every simulated account by appid. */
export class AccountRegistry {
  readonly #accounts = new Map<string, SimAccount>();

  get(appid: string): SimAccount | undefined {
    return this.#accounts.get(appid);
  }

  list(): SimAccount[] {
    return [...this.#accounts.values()];
  }

  /** Creates an account or merges the given fields into it; its users and tokens stay. */
  upsert(input: AccountPost, nowMs: number): { account: SimAccount; created: boolean } {
    const existing = this.#accounts.get(input.appid);
    const settings = mergeSettings(existing?.settings, input);
    let account = existing;
    if (account) account.updateSettings(settings);
    else {
      account = new SimAccount(settings);
      this.#accounts.set(settings.appid, account);
    }
    for (const user of input.users ?? []) account.upsertUser(user, nowMs);
    return { account, created: !existing };
  }

  addUser(
    appid: string,
    input: SimUserInput,
    nowMs: number,
  ): { user: SimUser; created: boolean } | undefined {
    return this.#accounts.get(appid)?.upsertUser(input, nowMs);
  }

  load(fixture: SimFixture, nowMs: number): void {
    for (const account of fixture.accounts) this.upsert(account, nowMs);
  }

  clear(): void {
    this.#accounts.clear();
  }
}
