import { EventEmitter } from 'node:events';
import { isWeChatError, isWxhubError, WxhubError } from '../errors/index.js';
import { HttpClient } from '../http/index.js';
import { observeUpstream, type UpstreamEvent, type UpstreamObserver } from '../http/upstream-event.js';
import type { CredentialInput, CredentialRecord, Store } from '../store/store.js';
import { type Clock, systemClock } from '../util/clock.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { errAction, TOKEN_INVALID_ERRCODES } from '../wechat/errcodes.js';
import { type Endpoints, PATHS, WECHAT_ENDPOINTS } from '../wechat/paths.js';
import { type Account, type AccountSpec, resolveAccount } from './account.js';
import { ChangeFeed } from './change-feed.js';
import { DueQueue } from './due-queue.js';
import {
  type Fetched,
  fetchClassicToken,
  fetchStableToken,
  fetchTicket,
  type TicketType,
} from './fetchers.js';
import { type QuotaCounter, QuotaGuard, type QuotaWarning } from './quota-guard.js';
import { Refresher, type RefreshPlan } from './refresher.js';
import { exponentialBackoff, type RetryStrategy, sleep } from './retry.js';

/** What the engine keeps per account: the access_token and the two ticket kinds. */
export type CredentialKind = 'access_token' | TicketType;
/** Why a refresh ran: nothing stored, stored one expired, due before expiry, reported dead. */
export type RefreshReason = 'missing' | 'expired' | 'proactive' | 'stale';

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

export interface TokenManagerOptions {
  readonly store: Store;
  readonly accounts: readonly AccountSpec[];
  /** WeChat's hosts; one setting moves every call (e.g. to the simulator). */
  readonly endpoints?: Partial<Endpoints>;
  readonly http?: HttpClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Backoff between attempts on -1, 45011 and transport errors. Default: 3 retries, 200 ms doubling to 3 s. */
  readonly retryStrategy?: RetryStrategy;
  /** A token closer than this to expiry is not handed out, ms. Default 60000. */
  readonly expiryMarginMs?: number;
  /** Spread of proactive refreshes across processes, ms (subtracted from the margin). Default 60000. */
  readonly jitterMs?: number;
  /** Re-read the store at least this often even without a change notice, ms. Default 5000. */
  readonly revalidateMs?: number;
  /** After a configuration errcode, try again only after this long, ms. Default 300000. */
  readonly configErrorCooldownMs?: number;
  /** After a failed proactive refresh, wait this long before the next one, ms. Default 30000. */
  readonly retryAfterFailureMs?: number;
  readonly leaseTtlMs?: number;
  readonly waitTimeoutMs?: number;
  /**
   * Refreshes (and first fetches) one proactive pass runs at once. Default 64: a burst of due
   * credentials (many accounts fetched together) never opens more than this many upstream calls,
   * leaving the HTTP pool's other connections to business calls.
   */
  readonly refreshConcurrency?: number;
}

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

/** This process's copy of a credential, with the instants that decide the hot path precomputed. */
interface CacheEntry {
  readonly kind: CredentialKind;
  readonly appid: string;
  readonly record: CredentialRecord;
  /** The same answer for every caller, allocated once: a warm read costs a map lookup. */
  readonly promise: Promise<CredentialRecord>;
  readonly valuePromise: Promise<string>;
  /** No longer handed out from here on (expiry minus the safety margin). */
  readonly serveUntil: number;
  /** Due for a proactive refresh from here on. */
  readonly refreshAt: number;
  /** Until then nothing needs doing: the earlier of refreshAt and the next revalidation. */
  quietUntil: number;
}

const RETRYABLE = new Set(['WXHUB_ERR_TRANSPORT', 'WXHUB_ERR_TIMEOUT', 'WXHUB_ERR_UPSTREAM_BODY']);
/** A due credential the pass could not replace (failed, waiting, raced) is looked at again after this, ms. */
const RECHECK_MS = 1000;

/**
 * The credential engine: hands out access_tokens and JS-SDK tickets for a set of accounts,
 * fetching each at most once per rotation for every process on the same store.
 *
 * Reads come from a local cache kept fresh by the store's change feed; a token is refreshed
 * proactively before expiry (callers keep the old one meanwhile), on demand when a caller reports
 * it dead and it is still the current one, and never in a way that burns WeChat's quotas.
 * See docs/tokens.md for the decision diagram.
 */
export class TokenManager extends EventEmitter {
  readonly #accounts = new Map<string, Account>();
  readonly #store: Store;
  readonly #http: HttpClient;
  readonly #ownsHttp: boolean;
  readonly #endpoints: Endpoints;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #retry: RetryStrategy;
  readonly #changes: ChangeFeed;
  readonly #refresher: Refresher;
  readonly #quota: QuotaGuard;
  readonly #cache: Record<CredentialKind, Map<string, CacheEntry>> = {
    access_token: new Map(),
    jsapi: new Map(),
    wx_card: new Map(),
  };
  /** Background refreshes in flight, by key; a pass of tick() waits for them. */
  readonly #background = new Map<string, Promise<void>>();
  /** Every cached credential, by its refresh point: a pass pops what is due instead of scanning all. */
  readonly #due = new DueQueue<CacheEntry>();
  /** Accounts with no access_token in the cache yet: a pass fetches them. */
  readonly #unwarmed = new Set<string>();
  readonly #refreshConcurrency: number;
  /** The proactive pass running, and the one queued behind it for callers who arrived meanwhile. */
  #pass: Promise<void> | undefined;
  #nextPass: Promise<void> | undefined;
  readonly #nextAttemptAt = new Map<string, number>();
  readonly #disabledUntil = new Map<string, number>();
  readonly #lastError = new Map<string, { at: number; message: string; errcode?: number }>();
  readonly #expiryMarginMs: number;
  readonly #jitterMs: number;
  readonly #revalidateMs: number;
  readonly #cooldownMs: number;
  readonly #retryAfterFailureMs: number;
  /** This process's place in the proactive-refresh spread, fixed at start. */
  readonly #jitterShare = Math.random();
  readonly #report: UpstreamObserver = (event) => this.reportUpstream(event);
  #timer: NodeJS.Timeout | undefined;
  #ready: Promise<void>;
  #closing = false;

  constructor(options: TokenManagerOptions) {
    super();
    this.#refreshConcurrency = options.refreshConcurrency ?? 64;
    if (!Number.isInteger(this.#refreshConcurrency) || this.#refreshConcurrency < 1) {
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'refreshConcurrency must be a positive integer');
    }
    for (const spec of options.accounts) this.addAccount(spec);
    this.#store = options.store;
    this.#ownsHttp = !options.http;
    this.#http = options.http ?? new HttpClient();
    this.#endpoints = { ...WECHAT_ENDPOINTS, ...options.endpoints };
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#retry = options.retryStrategy ?? exponentialBackoff();
    this.#expiryMarginMs = options.expiryMarginMs ?? 60_000;
    this.#jitterMs = options.jitterMs ?? 60_000;
    this.#revalidateMs = options.revalidateMs ?? 5_000;
    this.#cooldownMs = options.configErrorCooldownMs ?? 300_000;
    this.#retryAfterFailureMs = options.retryAfterFailureMs ?? 30_000;
    this.#changes = new ChangeFeed(this.#store);
    this.#refresher = new Refresher({
      store: this.#store,
      changes: this.#changes,
      leaseTtlMs: options.leaseTtlMs,
      waitTimeoutMs: options.waitTimeoutMs,
    });
    this.#quota = new QuotaGuard(this.#store, this.#clock, (w: QuotaWarning) => {
      this.#log.warn({ ...w }, 'daily token budget nearly used');
      this.emit('quota-warning', w);
    });
    this.#changes.onChange((key) => {
      const { kind, appid } = parseKey(key);
      if (this.#cache[kind]?.has(appid)) void this.#revalidate(kind, appid);
    });
    this.#ready = this.#changes.start().catch((err: unknown) => {
      this.#log.warn({ err: String(err) }, 'store change feed unavailable; relying on revalidation');
    });
  }

  /** Adds (or replaces) an account at run time. */
  addAccount(spec: AccountSpec): void {
    const account = resolveAccount(spec);
    this.#accounts.set(account.appid, account);
    if (!this.#cache.access_token.has(account.appid)) this.#unwarmed.add(account.appid);
  }

  /** The appids this engine manages. */
  appids(): string[] {
    return [...this.#accounts.keys()];
  }

  hasAccount(appid: string): boolean {
    return this.#accounts.has(appid);
  }

  /** A valid access_token for `appid`, fetched only when no process on the store has one. */
  getAccessToken(appid: string): Promise<CredentialRecord> {
    const entry = this.#cache.access_token.get(appid);
    if (entry !== undefined && this.#clock.now() < entry.quietUntil) return entry.promise;
    return this.#read('access_token', appid, entry);
  }

  /**
   * What getAccessToken would resolve to at once, when that needs no work at all (cached, valid,
   * not due for refresh or revalidation); otherwise undefined and the caller uses getAccessToken.
   */
  peekAccessToken(appid: string): CredentialRecord | undefined {
    const entry = this.#cache.access_token.get(appid);
    return entry !== undefined && this.#clock.now() < entry.quietUntil ? entry.record : undefined;
  }

  /** getAccessToken's value alone: the SDK's hot path, with no allocation when warm. */
  getAccessTokenValue(appid: string): Promise<string> {
    const entry = this.#cache.access_token.get(appid);
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
    const entry = this.#cache[type].get(appid);
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
    this.#disabledUntil.delete(appid);
    this.#nextAttemptAt.delete(tokenKey('access_token', appid));
  }

  status(appid: string): AccountStatus {
    const account = this.#account(appid);
    const entry = this.#cache.access_token.get(appid);
    return {
      appid,
      tokenMode: account.tokenMode,
      token: entry
        ? { fetchedAt: entry.record.fetchedAt, expiresAt: entry.record.expiresAt, refreshAt: entry.refreshAt }
        : null,
      disabledUntil: this.#disabledUntil.get(appid) ?? null,
      lastError: this.#lastError.get(appid) ?? null,
    };
  }

  /** Starts proactive refreshing: every `intervalMs`, tokens (and used tickets) due are renewed. */
  start(intervalMs = 1000): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
  }

  /**
   * One proactive pass: fetches missing access_tokens and renews every credential past its
   * refresh point, at most `refreshConcurrency` at once. Exposed so tests drive it after moving a
   * virtual clock. Resolves once everything due when it was called is done; a call made while a
   * pass runs gets the pass that starts after it.
   */
  tick(): Promise<void> {
    if (this.#pass) {
      this.#nextPass ??= this.#pass
        .catch(() => undefined)
        .then(() => {
          this.#nextPass = undefined;
          return this.tick();
        });
      return this.#nextPass;
    }
    const pass = this.#runPass().finally(() => {
      this.#pass = undefined;
    });
    this.#pass = pass;
    return pass;
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
    this.#closing = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#changes.close();
    await Promise.all([this.#pass, ...this.#background.values()].map((p) => p?.catch(() => undefined)));
    if (this.#ownsHttp) await this.#http.close();
  }

  /**
   * Workers take due credentials first, in refresh-point order, then accounts never fetched, until
   * neither is left. What falls due while a long pass runs (many fetches over a slow network) is
   * taken by the same pass; accounts that keep failing to fetch cannot hold up those refreshes.
   */
  async #runPass(): Promise<void> {
    const missing = [...this.#unwarmed];
    if (missing.length === 0 && !this.#due.hasDue(this.#clock.now())) return;
    let next = 0;
    const work = async (): Promise<void> => {
      while (!this.#closing) {
        const entry = this.#due.popDue(this.#clock.now());
        if (entry !== undefined) await this.#renew(entry);
        else if (next < missing.length) {
          const appid = missing[next++] as string;
          if (this.#unwarmed.has(appid)) await this.#warm(appid);
        } else return;
      }
    };
    await Promise.all(Array.from({ length: this.#refreshConcurrency }, work));
  }

  /** A due credential: refreshed, or queued again if it is still the cached one afterwards. */
  async #renew(entry: CacheEntry): Promise<void> {
    const cache = this.#cache[entry.kind];
    // Replaced since it was queued (a refresh, another process's write): its successor is queued.
    if (cache.get(entry.appid) !== entry) return;
    const account = this.#accounts.get(entry.appid);
    if (!account) return;
    await this.#refreshInBackground(entry.kind, account, entry.record);
    if (cache.get(entry.appid) !== entry) return;
    // Failed (retry after retryAfterFailureMs), disabled, or the store kept an older record: later.
    const retryAt = this.#nextAttemptAt.get(tokenKey(entry.kind, entry.appid)) ?? 0;
    this.#due.push(Math.max(retryAt, this.#clock.now() + RECHECK_MS), entry);
  }

  // --- reading ---------------------------------------------------------------------------------

  /** The slow side of a read: the local copy is missing, due, or owes a revalidation. */
  #read(kind: CredentialKind, appid: string, entry: CacheEntry | undefined): Promise<CredentialRecord> {
    const now = this.#clock.now();
    const account = this.#accounts.get(appid);
    if (entry !== undefined && account !== undefined && now < entry.serveUntil) {
      if (now >= entry.refreshAt) void this.#refreshInBackground(kind, account, entry.record);
      else void this.#revalidate(kind, appid);
      return entry.promise;
    }
    return this.#obtain(kind, appid, (r) => (this.#usable(r) ? 'ok' : r ? 'expired' : 'missing'));
  }

  #refreshIfCurrent(kind: CredentialKind, appid: string, stale: string): Promise<CredentialRecord> {
    const cached = this.#cache[kind].get(appid);
    if (cached && cached.record.value !== stale && this.#clock.now() < cached.serveUntil)
      return cached.promise;
    const reportedAt = this.#clock.now();
    return this.#obtain(
      kind,
      appid,
      (r) => {
        if (!r) return 'missing';
        if (!this.#usable(r)) return 'expired';
        // A record fetched after the report answers it even if WeChat handed back the same value.
        return r.value === stale && r.fetchedAt <= reportedAt ? 'stale' : 'ok';
      },
      stale,
    );
  }

  async #revalidate(kind: CredentialKind, appid: string): Promise<void> {
    const key = tokenKey(kind, appid);
    const entry = this.#cache[kind].get(appid);
    // Quiet again at once, so the callers arriving during this read don't start another.
    if (entry) entry.quietUntil = Math.min(entry.refreshAt, this.#clock.now() + this.#revalidateMs);
    try {
      const record = await this.#store.getCredential(key);
      if (record) return this.#remember(kind, appid, record);
      // The store lost it (e.g. Redis restarted): put back what we hold rather than refetch.
      if (entry && this.#usable(entry.record)) {
        const { value, expiresAt, fetchedAt } = entry.record;
        const restored = await this.#store.compareAndSetCredential(key, 0, { value, expiresAt, fetchedAt });
        if (restored) this.#remember(kind, appid, restored);
      }
    } catch (err) {
      this.#log.warn({ key, err: errorText(err) }, 'store read failed; serving cached credential');
    }
  }

  #remember(kind: CredentialKind, appid: string, record: CredentialRecord): void {
    const cache = this.#cache[kind];
    const cached = cache.get(appid);
    // The same credential may come back under another version: a store that lost its records (a
    // Redis restart) numbers the written-back copy from 1 again. Follow the store's version then,
    // or a proactive refresh, which checks the version it saw, never fetches.
    const same = cached?.record.value === record.value && cached.record.fetchedAt === record.fetchedAt;
    if (!same && cached && isOlder(record, cached.record) && this.#usable(cached.record)) return;
    if (same && cached.record.version === record.version) {
      cached.quietUntil = Math.min(cached.refreshAt, this.#clock.now() + this.#revalidateMs);
      return;
    }
    const account = this.#accounts.get(appid);
    const refreshAt = account ? this.#refreshAt(account, record) : record.expiresAt;
    const entry: CacheEntry = {
      kind,
      // The account's own string: `appid` may be a slice of a change-feed key, which would keep
      // the whole key alive for as long as the entry.
      appid: account?.appid ?? appid,
      record,
      promise: Promise.resolve(record),
      valuePromise: Promise.resolve(record.value),
      serveUntil: record.expiresAt - this.#expiryMarginMs,
      refreshAt,
      quietUntil: Math.min(refreshAt, this.#clock.now() + this.#revalidateMs),
    };
    cache.set(appid, entry);
    // A credential born past its refresh point waits RECHECK_MS, as it waited for the next pass
    // before: a pass never refreshes one credential over and over.
    this.#due.push(Math.max(refreshAt, this.#clock.now() + RECHECK_MS), entry);
    if (kind === 'access_token') this.#unwarmed.delete(appid);
  }

  // --- refreshing ------------------------------------------------------------------------------

  async #obtain(
    kind: CredentialKind,
    appid: string,
    judge: (record: CredentialRecord | null) => 'ok' | RefreshReason,
    stale?: string,
  ): Promise<CredentialRecord> {
    const account = this.#account(appid);
    const key = tokenKey(kind, appid);
    const plan: RefreshPlan = {
      key,
      needsRefresh: (record) => judge(record) !== 'ok',
      fetch: (current, keepLease) =>
        this.#fetch(kind, account, judge(current) as RefreshReason, stale, keepLease),
    };
    const { record } = await this.#refresher.refresh(plan);
    this.#remember(kind, appid, record);
    return record;
  }

  #refreshInBackground(kind: CredentialKind, account: Account, seen: CredentialRecord): Promise<void> {
    const key = tokenKey(kind, account.appid);
    const running = this.#background.get(key);
    if (running) return running;
    if (this.#clock.now() < (this.#nextAttemptAt.get(key) ?? 0)) return Promise.resolve();
    const judge = (r: CredentialRecord | null): 'ok' | RefreshReason => {
      if (!r) return 'missing';
      if (!this.#usable(r)) return 'expired';
      return r.version === seen.version && r.fetchedAt === seen.fetchedAt ? 'proactive' : 'ok';
    };
    const attempt = this.#obtain(kind, account.appid, judge)
      .then(() => undefined)
      .catch((err: unknown) => {
        this.#nextAttemptAt.set(key, this.#clock.now() + this.#retryAfterFailureMs);
        this.#log.warn(
          { appid: account.appid, kind, err: errorText(err) },
          'proactive refresh failed; serving current',
        );
      })
      .finally(() => this.#background.delete(key));
    this.#background.set(key, attempt);
    return attempt;
  }

  async #warm(appid: string): Promise<void> {
    await this.getAccessToken(appid).catch((err: unknown) => {
      this.#nextAttemptAt.set(tokenKey('access_token', appid), this.#clock.now() + this.#retryAfterFailureMs);
      this.#log.warn({ appid, err: errorText(err) }, 'could not obtain a token');
    });
  }

  /** Called by the lease holder only: one upstream refresh with the retry policy. */
  async #fetch(
    kind: CredentialKind,
    account: Account,
    reason: RefreshReason,
    stale: string | undefined,
    keepLease: () => Promise<void>,
  ): Promise<CredentialInput> {
    const startedAt = this.#clock.now();
    const t0 = performance.now();
    try {
      this.#assertEnabled(account);
      const fetched = await this.#withRetry(account, keepLease, () =>
        kind === 'access_token'
          ? this.#fetchToken(account, reason === 'stale' ? stale : undefined)
          : this.#fetchTicket(account, kind),
      );
      this.#lastError.delete(account.appid);
      this.#emitRefresh({
        appid: account.appid,
        kind,
        reason,
        outcome: 'fetched',
        durationMs: performance.now() - t0,
      });
      return { value: fetched.value, fetchedAt: startedAt, expiresAt: startedAt + fetched.expiresIn * 1000 };
    } catch (err) {
      const errcode = isWeChatError(err) || isWxhubError(err) ? err.errcode : undefined;
      this.#lastError.set(account.appid, { at: this.#clock.now(), message: errorText(err), errcode });
      this.#emitRefresh({
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
    const token = await this.getAccessToken(account.appid);
    const call = (accessToken: string) =>
      this.#upstream(account.appid, PATHS.ticket, () =>
        fetchTicket(this.#http, this.#endpoints, accessToken, type),
      );
    try {
      return await call(token.value);
    } catch (err) {
      if (!isWeChatError(err) || !TOKEN_INVALID_ERRCODES.has(err.errcode)) throw err;
      return call((await this.refreshAccessToken(account.appid, token.value)).value);
    }
  }

  #upstream<T>(appid: string, path: string, call: () => Promise<T>): Promise<T> {
    return observeUpstream(this.#report, appid, path, call);
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
        this.#disabledUntil.set(account.appid, this.#clock.now() + this.#cooldownMs);
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

  #assertEnabled(account: Account): void {
    const until = this.#disabledUntil.get(account.appid);
    if (until === undefined) return;
    if (this.#clock.now() >= until) {
      this.#disabledUntil.delete(account.appid);
      return;
    }
    const last = this.#lastError.get(account.appid);
    throw new WxhubError(
      'WXHUB_ERR_ACCOUNT_DISABLED',
      `${account.appid}: ${last?.message ?? 'configuration error'}`,
      {
        errcode: last?.errcode,
      },
    );
  }

  // --- small rules -----------------------------------------------------------------------------

  #usable(record: CredentialRecord | null): record is CredentialRecord {
    return record !== null && this.#clock.now() < record.expiresAt - this.#expiryMarginMs;
  }

  #refreshAt(account: Account, record: CredentialRecord): number {
    const margin =
      account.refreshMarginMs - this.#jitterShare * Math.min(this.#jitterMs, account.refreshMarginMs / 4);
    return record.expiresAt - margin;
  }

  #account(appid: string): Account {
    const account = this.#accounts.get(appid);
    if (!account) throw new WxhubError('WXHUB_ERR_UNKNOWN_ACCOUNT', appid);
    return account;
  }

  #emitRefresh(event: RefreshEvent): void {
    this.emit('refresh', event);
    const { outcome, ...fields } = event;
    if (outcome === 'fetched') this.#log.info(fields, 'credential refreshed');
    else this.#log.warn(fields, 'credential refresh failed');
  }
}

export type { UpstreamEvent };

export function tokenKey(kind: CredentialKind, appid: string): string {
  return kind === 'access_token' ? `token:${appid}` : `ticket:${kind}:${appid}`;
}

function parseKey(key: string): { kind: CredentialKind; appid: string } {
  if (key.startsWith('token:')) return { kind: 'access_token', appid: key.slice(6) };
  const [, kind, appid] = key.split(':') as [string, TicketType, string];
  return { kind, appid };
}

function isOlder(a: CredentialRecord, b: CredentialRecord): boolean {
  return a.fetchedAt < b.fetchedAt || (a.fetchedAt === b.fetchedAt && a.version < b.version);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
