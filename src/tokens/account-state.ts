import { WxhubError } from '../errors/index.js';
import type { Account } from './account.js';

/** The last failed refresh of an account, for status pages (never a secret: messages are scrubbed). */
export interface AccountError {
  readonly at: number;
  readonly message: string;
  readonly errcode?: number;
}

/**
 * The accounts an engine manages and what it knows of each beyond its credentials: whether a
 * configuration error stopped its refreshing (and until when), and its last error.
 */
export class AccountState {
  readonly #accounts = new Map<string, Account>();
  readonly #disabledUntil = new Map<string, number>();
  readonly #lastError = new Map<string, AccountError>();

  /** Adds an account, or replaces the one with its appid (its state is kept). */
  set(account: Account): void {
    this.#accounts.set(account.appid, account);
  }

  /** Forgets an account and its state; false when it was not managed. */
  delete(appid: string): boolean {
    this.#disabledUntil.delete(appid);
    this.#lastError.delete(appid);
    return this.#accounts.delete(appid);
  }

  get(appid: string): Account | undefined {
    return this.#accounts.get(appid);
  }

  /** The account, or WXHUB_ERR_UNKNOWN_ACCOUNT. */
  require(appid: string): Account {
    const account = this.#accounts.get(appid);
    if (!account) throw new WxhubError('WXHUB_ERR_UNKNOWN_ACCOUNT', appid);
    return account;
  }

  has(appid: string): boolean {
    return this.#accounts.has(appid);
  }

  appids(): string[] {
    return [...this.#accounts.keys()];
  }

  /** Stops refreshing `appid` until `until` (WeChat answered a configuration errcode). */
  disable(appid: string, until: number): void {
    this.#disabledUntil.set(appid, until);
  }

  /** Ends a cool-down at once (the operator fixed the configuration). */
  enable(appid: string): void {
    this.#disabledUntil.delete(appid);
  }

  /**
   * Throws WXHUB_ERR_ACCOUNT_DISABLED, with the error that caused it, while `appid` is in a
   * cool-down at `now`; a cool-down that has run out ends here.
   */
  assertEnabled(appid: string, now: number): void {
    const until = this.#disabledUntil.get(appid);
    if (until === undefined) return;
    if (now >= until) {
      this.#disabledUntil.delete(appid);
      return;
    }
    const last = this.#lastError.get(appid);
    throw new WxhubError(
      'WXHUB_ERR_ACCOUNT_DISABLED',
      `${appid}: ${last?.message ?? 'configuration error'}`,
      {
        errcode: last?.errcode,
      },
    );
  }

  /** The end of `appid`'s cool-down, or null when it may refresh. */
  disabledUntil(appid: string): number | null {
    return this.#disabledUntil.get(appid) ?? null;
  }

  recordFailure(appid: string, error: AccountError): void {
    this.#lastError.set(appid, error);
  }

  recordSuccess(appid: string): void {
    this.#lastError.delete(appid);
  }

  lastError(appid: string): AccountError | null {
    return this.#lastError.get(appid) ?? null;
  }
}
