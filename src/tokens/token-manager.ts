import { EventEmitter } from 'node:events';
import { HttpClient } from '../http/index.js';
import type { UpstreamEvent } from '../http/upstream-event.js';
import type { CredentialRecord } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { type Account, type AccountSpec, resolveAccount } from './account.js';
import { AccountState } from './account-state.js';
import { ChangeFeed } from './change-feed.js';
import { type CacheEntry, CredentialCache } from './credential-cache.js';
import { type CredentialKind, tokenKey } from './credential-key.js';
import type { TicketType } from './fetchers.js';
import { type Demand, freshness, type RefreshReason } from './freshness.js';
import { type QuotaCounter, QuotaGuard, type QuotaWarning } from './quota-guard.js';
import { RefreshScheduler } from './refresh-scheduler.js';
import { Refresher } from './refresher.js';
import { resolveTokenManagerOptions, type TokenManagerOptions } from './token-manager-options.js';
import { type RefreshEvent, UpstreamFetcher } from './upstream-fetcher.js';

export type { CredentialKind, RefreshEvent, RefreshReason, TokenManagerOptions, UpstreamEvent };
export { tokenKey };

/** The state of one account, for dashboards and metrics. */
export interface AccountStatus {
  readonly appid: string;
  readonly tokenMode: Account['tokenMode'];
  readonly token: {
    readonly fetchedAt: number;
    readonly expiresAt: number;
    readonly refreshAt: number;
  } | null;
  readonly disabledUntil: number | null;
  readonly lastError: { readonly at: number; readonly message: string; readonly errcode?: number } | null;
}

const READ: Demand = Object.freeze({ policy: 'read' });

/**
 * The credential engine: hands out access_tokens and JS-SDK tickets for a set of accounts,
 * fetching each at most once per rotation for every process on the same store.
 *
 * Reads come from a local cache kept fresh by the store's change feed; a token is refreshed
 * proactively before expiry (callers keep the old one meanwhile), on demand when a caller reports
 * it dead and it is still the current one, and never in a way that burns WeChat's quotas.
 * This class is the facade over the pieces that do it (see docs/tokens.md): the credential cache,
 * the refresh scheduler, the fleet-wide refresher, the upstream fetcher and the account state.
 *
 * Events: `refresh` (RefreshEvent), `upstream` (UpstreamEvent), `quota-warning` (QuotaWarning).
 */
export class TokenManager extends EventEmitter {
  readonly #clock: Clock;
  readonly #expiryMarginMs: number;
  readonly #http: HttpClient;
  readonly #ownsHttp: boolean;
  readonly #accounts = new AccountState();
  readonly #changes: ChangeFeed;
  readonly #cache: CredentialCache;
  /** The cache's maps, held here so a warm read is one map lookup and one clock read. */
  readonly #entries: Readonly<Record<CredentialKind, ReadonlyMap<string, CacheEntry>>>;
  readonly #tokens: ReadonlyMap<string, CacheEntry>;
  readonly #scheduler: RefreshScheduler;
  readonly #refresher: Refresher;
  readonly #quota: QuotaGuard;
  readonly #fetcher: UpstreamFetcher;
  readonly #ready: Promise<void>;

  /** Checks every option at once: one WXHUB_ERR_INVALID_ARGUMENT names each bad one. */
  constructor(options: TokenManagerOptions) {
    super();
    const settings = resolveTokenManagerOptions(options);
    const { store, clock, logger } = settings;
    this.#clock = clock;
    this.#expiryMarginMs = settings.expiryMarginMs;
    this.#ownsHttp = !settings.http;
    this.#http = settings.http ?? new HttpClient();
    this.#changes = new ChangeFeed(store);
    this.#scheduler = new RefreshScheduler({
      clock,
      logger,
      refreshConcurrency: settings.refreshConcurrency,
      retryAfterFailureMs: settings.retryAfterFailureMs,
      isCurrent: (entry) => this.#cache.isCurrent(entry),
      renew: (kind, appid, seen) => this.#obtain(kind, appid, { policy: 'renew', seen }),
      warm: (appid) => this.getAccessToken(appid),
    });
    this.#cache = new CredentialCache({
      store,
      changes: this.#changes,
      accounts: this.#accounts,
      clock,
      logger,
      expiryMarginMs: settings.expiryMarginMs,
      jitterMs: settings.jitterMs,
      revalidateMs: settings.revalidateMs,
      onEntry: (entry) => this.#scheduler.schedule(entry),
    });
    this.#entries = this.#cache.byKind;
    this.#tokens = this.#entries.access_token;
    this.#refresher = new Refresher({
      store,
      changes: this.#changes,
      leaseTtlMs: settings.leaseTtlMs,
      waitTimeoutMs: settings.waitTimeoutMs,
    });
    this.#quota = new QuotaGuard(store, clock, (w: QuotaWarning) => {
      logger.warn({ ...w }, 'daily token budget nearly used');
      this.emit('quota-warning', w);
    });
    this.#fetcher = new UpstreamFetcher({
      http: this.#http,
      endpoints: settings.endpoints,
      clock,
      logger,
      retryStrategy: settings.retryStrategy,
      configErrorCooldownMs: settings.configErrorCooldownMs,
      quota: this.#quota,
      accounts: this.#accounts,
      accessToken: {
        get: (appid) => this.getAccessToken(appid),
        refresh: (appid, stale) => this.refreshAccessToken(appid, stale),
      },
      onRefresh: (event) => this.emit('refresh', event),
      onUpstream: (event) => this.reportUpstream(event),
    });
    for (const account of settings.accounts) this.#add(account);
    this.#ready = this.#cache.listen();
  }

  /** Adds (or replaces) an account at run time. */
  addAccount(spec: AccountSpec): void {
    this.#add(resolveAccount(spec));
  }

  /**
   * Stops managing an account at run time: its cached credentials and pending refreshes are
   * dropped here (the store keeps its records for other processes); a refresh in flight finishes
   * without being cached. False when the appid was not managed.
   */
  removeAccount(appid: string): boolean {
    if (!this.#accounts.delete(appid)) return false;
    this.#cache.forget(appid);
    this.#scheduler.forget(appid);
    return true;
  }

  /** The appids this engine manages. */
  appids(): string[] {
    return this.#accounts.appids();
  }

  hasAccount(appid: string): boolean {
    return this.#accounts.has(appid);
  }

  /** A valid access_token for `appid`, fetched only when no process on the store has one. */
  getAccessToken(appid: string): Promise<CredentialRecord> {
    const entry = this.#tokens.get(appid);
    if (entry !== undefined && this.#clock.now() < entry.quietUntil) return entry.promise;
    return this.#read('access_token', appid, entry);
  }

  /**
   * What getAccessToken would resolve to at once, when that needs no work at all (cached, valid,
   * not due for refresh or revalidation); otherwise undefined and the caller uses getAccessToken.
   */
  peekAccessToken(appid: string): CredentialRecord | undefined {
    const entry = this.#tokens.get(appid);
    return entry !== undefined && this.#clock.now() < entry.quietUntil ? entry.record : undefined;
  }

  /** getAccessToken's value alone: the SDK's hot path, with no allocation when warm. */
  getAccessTokenValue(appid: string): Promise<string> {
    const entry = this.#tokens.get(appid);
    if (entry !== undefined && this.#clock.now() < entry.quietUntil) return entry.valuePromise;
    return this.#read('access_token', appid, entry).then((record) => record.value);
  }

  /**
   * Refresh-if-current: a caller saw 40001/40014/42001 with `staleToken`. Refreshes only if that
   * token is still the current one; always resolves the current token.
   */
  refreshAccessToken(appid: string, staleToken: string): Promise<CredentialRecord> {
    return this.#refreshIfCurrent('access_token', appid, staleToken);
  }

  /** A valid JS-SDK (`jsapi`) or card (`wx_card`) ticket for `appid`. */
  getTicket(appid: string, type: TicketType = 'jsapi'): Promise<CredentialRecord> {
    const entry = this.#entries[type].get(appid);
    if (entry !== undefined && this.#clock.now() < entry.quietUntil) return entry.promise;
    return this.#read(type, appid, entry);
  }

  /** Refresh-if-current for a ticket. */
  refreshTicket(appid: string, type: TicketType, staleTicket: string): Promise<CredentialRecord> {
    return this.#refreshIfCurrent(type, appid, staleTicket);
  }

  /**
   * Publishes a WeChat call made elsewhere in this process (the hub's proxy, the login flow) as an
   * `upstream` event, so metrics and dashboards see every call in one stream.
   */
  reportUpstream(event: UpstreamEvent): void {
    this.emit('upstream', event);
  }

  /** Upstream token fetches the fleet made today for an account (its quota use). */
  quotaUsed(appid: string, counter: QuotaCounter = 'token'): Promise<number> {
    return this.#quota.used(appid, counter);
  }

  /** Lets an account refresh again after a configuration error (the operator fixed it). */
  enable(appid: string): void {
    this.#accounts.enable(appid);
    this.#scheduler.clearBackoff('access_token', appid);
  }

  status(appid: string): AccountStatus {
    const account = this.#accounts.require(appid);
    const entry = this.#tokens.get(appid);
    return {
      appid,
      tokenMode: account.tokenMode,
      token: entry
        ? { fetchedAt: entry.record.fetchedAt, expiresAt: entry.record.expiresAt, refreshAt: entry.refreshAt }
        : null,
      disabledUntil: this.#accounts.disabledUntil(appid),
      lastError: this.#accounts.lastError(appid),
    };
  }

  /** Starts proactive refreshing: every `intervalMs`, tokens (and used tickets) due are renewed. */
  start(intervalMs = 1000): void {
    this.#scheduler.start(intervalMs);
  }

  /**
   * One proactive pass: fetches missing access_tokens and renews every credential past its
   * refresh point, at most `refreshConcurrency` at once. Exposed so tests drive it after moving a
   * virtual clock. Resolves once everything due when it was called is done; a call made while a
   * pass runs gets the pass that starts after it.
   */
  tick(): Promise<void> {
    return this.#scheduler.tick();
  }

  /** Resolves once the store's change feed is subscribed (tests wait on it). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Stops refreshing. A fetch under way is let finish and be stored first (WeChat has issued that
   * token), so the store can be closed once this resolves; no new work and no retries start.
   */
  async close(): Promise<void> {
    this.#fetcher.close();
    await this.#scheduler.stop();
    this.#changes.close();
    if (this.#ownsHttp) await this.#http.close();
  }

  #add(account: Account): void {
    this.#accounts.set(account);
    if (!this.#tokens.has(account.appid)) this.#scheduler.warmLater(account.appid);
  }

  /** The slow side of a read: the local copy is missing, due, or owes a revalidation. */
  #read(kind: CredentialKind, appid: string, entry: CacheEntry | undefined): Promise<CredentialRecord> {
    const now = this.#clock.now();
    if (entry !== undefined && now < entry.serveUntil && this.#accounts.has(appid)) {
      if (now >= entry.refreshAt) void this.#scheduler.refreshInBackground(kind, appid, entry.record);
      else void this.#cache.revalidate(kind, appid);
      return entry.promise;
    }
    return this.#obtain(kind, appid, READ);
  }

  #refreshIfCurrent(kind: CredentialKind, appid: string, stale: string): Promise<CredentialRecord> {
    const cached = this.#entries[kind].get(appid);
    const now = this.#clock.now();
    if (cached && cached.record.value !== stale && now < cached.serveUntil) return cached.promise;
    return this.#obtain(kind, appid, { policy: 'report', stale, reportedAt: now });
  }

  /** Resolves a stored credential good for `demand`, refreshing it once for the fleet if needed. */
  async #obtain(kind: CredentialKind, appid: string, demand: Demand): Promise<CredentialRecord> {
    const account = this.#accounts.require(appid);
    const judge = (record: CredentialRecord | null) =>
      freshness(demand, record, this.#clock.now(), this.#expiryMarginMs);
    const stale = demand.policy === 'report' ? demand.stale : undefined;
    const { record } = await this.#refresher.refresh({
      key: tokenKey(kind, appid),
      needsRefresh: (current) => judge(current) !== 'ok',
      // Called only when needsRefresh was true: the freshness is a reason.
      fetch: (current, keepLease) =>
        this.#fetcher.fetch(kind, account, judge(current) as RefreshReason, stale, keepLease),
    });
    this.#cache.remember(kind, appid, record);
    return record;
  }
}
