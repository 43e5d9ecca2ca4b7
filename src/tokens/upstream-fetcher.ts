import { isWeChatError, isWxhubError, WxhubError } from '../errors/index.js';
import type { HttpClient } from '../http/index.js';
import { observeUpstream, type UpstreamObserver } from '../http/upstream-event.js';
import type { CredentialInput, CredentialRecord } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { errAction, TOKEN_INVALID_ERRCODES } from '../wechat/errcodes.js';
import { type Endpoints, PATHS } from '../wechat/paths.js';
import type { Account } from './account.js';
import type { AccountState } from './account-state.js';
import type { CredentialKind } from './credential-key.js';
import { errorText } from './error-text.js';
import {
  type Fetched,
  fetchClassicToken,
  fetchStableToken,
  fetchTicket,
  type TicketType,
} from './fetchers.js';
import type { RefreshReason } from './freshness.js';
import type { QuotaGuard } from './quota-guard.js';
import { type RetryStrategy, sleep } from './retry.js';

/** Emitted as `refresh` once per upstream refresh this process made (success or failure). */
export interface RefreshEvent {
  readonly appid: string;
  readonly kind: CredentialKind;
  readonly reason: RefreshReason;
  readonly outcome: 'fetched' | 'failed';
  readonly durationMs: number;
  /** WeChat's errcode (or wxhub's error code) when it failed. */
  readonly errcode?: number;
  readonly error?: string;
}

export interface UpstreamFetcherOptions {
  readonly http: HttpClient;
  readonly endpoints: Endpoints;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retryStrategy: RetryStrategy;
  readonly configErrorCooldownMs: number;
  readonly quota: QuotaGuard;
  readonly accounts: AccountState;
  /** The access_token a ticket is fetched with, and its refresh-if-current when WeChat rejects it. */
  readonly accessToken: {
    get(appid: string): Promise<CredentialRecord>;
    refresh(appid: string, stale: string): Promise<CredentialRecord>;
  };
  readonly onRefresh: (event: RefreshEvent) => void;
  readonly onUpstream: UpstreamObserver;
}

/** Failures of wxhub's own making worth another attempt: the network, not the answer. */
const RETRYABLE = new Set(['WXHUB_ERR_TRANSPORT', 'WXHUB_ERR_TIMEOUT', 'WXHUB_ERR_UPSTREAM_BODY']);

/**
 * The calls to WeChat a refresh makes, for the lease holder alone: the quota guard before each, the
 * retry policy around them, the answer classified (retry; configuration error → the account's
 * cool-down; 45009 → no more calls today; the rest to the caller), and one `refresh` event each.
 */
export class UpstreamFetcher {
  readonly #http: HttpClient;
  readonly #endpoints: Endpoints;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #retry: RetryStrategy;
  readonly #cooldownMs: number;
  readonly #quota: QuotaGuard;
  readonly #accounts: AccountState;
  readonly #accessToken: UpstreamFetcherOptions['accessToken'];
  readonly #onRefresh: (event: RefreshEvent) => void;
  readonly #onUpstream: UpstreamObserver;
  /** Set by close(): a failed attempt is not retried (the store is about to close). */
  #closing = false;

  constructor(options: UpstreamFetcherOptions) {
    this.#http = options.http;
    this.#endpoints = options.endpoints;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#retry = options.retryStrategy;
    this.#cooldownMs = options.configErrorCooldownMs;
    this.#quota = options.quota;
    this.#accounts = options.accounts;
    this.#accessToken = options.accessToken;
    this.#onRefresh = options.onRefresh;
    this.#onUpstream = options.onUpstream;
  }

  /** No more retries: attempts under way end at their next failure. */
  close(): void {
    this.#closing = true;
  }

  /**
   * One refresh of a credential, retried by the policy; `keepLease` is awaited before each attempt.
   * `stale` is the value a caller reported dead, when that is the reason.
   */
  async fetch(
    kind: CredentialKind,
    account: Account,
    reason: RefreshReason,
    stale: string | undefined,
    keepLease: () => Promise<void>,
  ): Promise<CredentialInput> {
    const startedAt = this.#clock.now();
    const t0 = performance.now();
    try {
      this.#accounts.assertEnabled(account.appid, startedAt);
      const fetched = await this.#withRetry(account, keepLease, () =>
        kind === 'access_token'
          ? this.#fetchToken(account, reason === 'stale' ? stale : undefined)
          : this.#fetchTicket(account, kind),
      );
      this.#accounts.recordSuccess(account.appid);
      this.#report({
        appid: account.appid,
        kind,
        reason,
        outcome: 'fetched',
        durationMs: performance.now() - t0,
      });
      return { value: fetched.value, fetchedAt: startedAt, expiresAt: startedAt + fetched.expiresIn * 1000 };
    } catch (err) {
      const errcode = isWeChatError(err) || isWxhubError(err) ? err.errcode : undefined;
      this.#accounts.recordFailure(account.appid, {
        at: this.#clock.now(),
        message: errorText(err),
        errcode,
      });
      this.#report({
        appid: account.appid,
        kind,
        reason,
        outcome: 'failed',
        durationMs: performance.now() - t0,
        errcode,
        error: isWxhubError(err) ? err.code : undefined,
      });
      throw err;
    }
  }

  async #fetchToken(account: Account, stale: string | undefined): Promise<Fetched> {
    const { appid, secret } = account;
    if (account.tokenMode === 'classic') {
      await this.#quota.spend(account, 'token');
      return this.#upstream(appid, PATHS.token, () =>
        fetchClassicToken(this.#http, this.#endpoints, appid, secret),
      );
    }
    await this.#quota.spend(account, 'stable');
    const normal = await this.#upstream(appid, PATHS.stableToken, () =>
      fetchStableToken(this.#http, this.#endpoints, appid, secret, false),
    );
    // Only a force_refresh replaces a stable token that WeChat still calls current but a caller saw dead.
    if (stale === undefined || normal.value !== stale || !(await this.#quota.allowForce(appid)))
      return normal;
    return this.#upstream(appid, PATHS.stableToken, () =>
      fetchStableToken(this.#http, this.#endpoints, appid, secret, true),
    );
  }

  async #fetchTicket(account: Account, type: TicketType): Promise<Fetched> {
    await this.#quota.spend(account, 'ticket');
    const token = await this.#accessToken.get(account.appid);
    const call = (accessToken: string) =>
      this.#upstream(account.appid, PATHS.ticket, () =>
        fetchTicket(this.#http, this.#endpoints, accessToken, type),
      );
    try {
      return await call(token.value);
    } catch (err) {
      if (!isWeChatError(err) || !TOKEN_INVALID_ERRCODES.has(err.errcode)) throw err;
      return call((await this.#accessToken.refresh(account.appid, token.value)).value);
    }
  }

  #upstream<T>(appid: string, path: string, call: () => Promise<T>): Promise<T> {
    return observeUpstream(this.#onUpstream, appid, path, call);
  }

  async #withRetry(
    account: Account,
    keepLease: () => Promise<void>,
    call: () => Promise<Fetched>,
  ): Promise<Fetched> {
    for (let attempt = 1; ; attempt++) {
      await keepLease();
      try {
        return await call();
      } catch (err) {
        this.#classifyOrThrow(account, err);
        const delay = this.#closing ? null : this.#retry(attempt);
        if (delay === null) {
          throw new WxhubError(
            'WXHUB_ERR_REFRESH_FAILED',
            `${account.appid} after ${attempt} attempts (${errorText(err)}); the next call tries again`,
            { cause: err, errcode: isWeChatError(err) ? err.errcode : undefined },
          );
        }
        await sleep(delay);
      }
    }
  }

  /** Returns for errors worth retrying; throws the error callers should see for the rest. */
  #classifyOrThrow(account: Account, err: unknown): void {
    if (isWxhubError(err)) {
      if (RETRYABLE.has(err.code)) return;
      throw err;
    }
    if (!isWeChatError(err)) throw err;
    switch (errAction(err.errcode)) {
      case 'retry':
        return;
      case 'config':
        this.#accounts.disable(account.appid, this.#clock.now() + this.#cooldownMs);
        this.#log.error(
          { appid: account.appid, errcode: err.errcode, errmsg: err.errmsg },
          'configuration error from WeChat; refreshing stopped',
        );
        throw new WxhubError(
          'WXHUB_ERR_ACCOUNT_DISABLED',
          `${account.appid}: WeChat errcode ${err.errcode}: ${err.errmsg}`,
          {
            cause: err,
            errcode: err.errcode,
          },
        );
      case 'quota':
        this.#quota.markExhausted(account.appid);
        throw new WxhubError(
          'WXHUB_ERR_QUOTA_EXHAUSTED',
          `${account.appid}: WeChat answered ${err.errcode}`,
          {
            cause: err,
            errcode: err.errcode,
          },
        );
      default:
        throw err;
    }
  }

  #report(event: RefreshEvent): void {
    this.#onRefresh(event);
    const { outcome, ...fields } = event;
    if (outcome === 'fetched') this.#log.info(fields, 'credential refreshed');
    else this.#log.warn(fields, 'credential refresh failed');
  }
}
