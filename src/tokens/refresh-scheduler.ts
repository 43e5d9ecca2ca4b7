import type { CredentialRecord } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { CacheEntry } from './credential-cache.js';
import { type CredentialKind, tokenKey } from './credential-key.js';
import { DueQueue } from './due-queue.js';
import { errorText } from './error-text.js';

/** A due credential the pass could not replace (failed, waiting, raced) is looked at again after this, ms. */
const RECHECK_MS = 1000;

export interface RefreshSchedulerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly refreshConcurrency: number;
  readonly retryAfterFailureMs: number;
  /** True while `entry` is still the cached copy of its credential. */
  readonly isCurrent: (entry: CacheEntry) => boolean;
  /** Replaces `seen` (once for the fleet); rejects when it could not. */
  readonly renew: (kind: CredentialKind, appid: string, seen: CredentialRecord) => Promise<unknown>;
  /** Obtains an account's first access_token; rejects when it could not. */
  readonly warm: (appid: string) => Promise<unknown>;
}

/**
 * When credentials are refreshed ahead of expiry: every cached credential waits in a queue by its
 * refresh point, accounts never fetched in a set, and a pass (`tick()`, every second once started)
 * takes what is due, `refreshConcurrency` at a time. At most one background refresh runs per
 * credential; after a failure the next waits `retryAfterFailureMs`, the current copy served meanwhile.
 */
export class RefreshScheduler {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #refreshConcurrency: number;
  readonly #retryAfterFailureMs: number;
  readonly #isCurrent: (entry: CacheEntry) => boolean;
  readonly #renew: RefreshSchedulerOptions['renew'];
  readonly #warm: RefreshSchedulerOptions['warm'];
  /** Every cached credential, by its refresh point: a pass pops what is due instead of scanning all. */
  readonly #due = new DueQueue<CacheEntry>();
  /** Accounts with no access_token in the cache yet: a pass fetches them. */
  readonly #unwarmed = new Set<string>();
  /** Background refreshes in flight, by key; a pass waits for them. */
  readonly #background = new Map<string, Promise<void>>();
  /** No background refresh of a key before this instant (a failure's back-off). */
  readonly #nextAttemptAt = new Map<string, number>();
  /** The proactive pass running, and the one queued behind it for callers who arrived meanwhile. */
  #pass: Promise<void> | undefined;
  #stopped = false;
  #nextPass: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RefreshSchedulerOptions) {
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#refreshConcurrency = options.refreshConcurrency;
    this.#retryAfterFailureMs = options.retryAfterFailureMs;
    this.#isCurrent = options.isCurrent;
    this.#renew = options.renew;
    this.#warm = options.warm;
  }

  /** Queues a newly cached credential for its refresh point. */
  schedule(entry: CacheEntry): void {
    // A credential born past its refresh point waits RECHECK_MS, as it waited for the next pass
    // before: a pass never refreshes one credential over and over.
    this.#due.push(Math.max(entry.refreshAt, this.#clock.now() + RECHECK_MS), entry);
    if (entry.kind === 'access_token') this.#unwarmed.delete(entry.appid);
  }

  /** Has the next pass fetch an account's first access_token. */
  warmLater(appid: string): void {
    this.#unwarmed.add(appid);
  }

  /** Forgets an account: no first fetch, no back-off (its queued entries are dropped when due). */
  forget(appid: string): void {
    this.#unwarmed.delete(appid);
    for (const kind of ['access_token', 'jsapi', 'wx_card'] as const)
      this.#nextAttemptAt.delete(tokenKey(kind, appid));
  }

  /** Lets a credential be refreshed again at once, whatever failed before. */
  clearBackoff(kind: CredentialKind, appid: string): void {
    this.#nextAttemptAt.delete(tokenKey(kind, appid));
  }

  /**
   * Replaces `seen` unless a refresh of it is running or backing off; never rejects (a failure is
   * logged and backs off `retryAfterFailureMs`).
   */
  refreshInBackground(kind: CredentialKind, appid: string, seen: CredentialRecord): Promise<void> {
    const key = tokenKey(kind, appid);
    const running = this.#background.get(key);
    if (running) return running;
    if (this.#clock.now() < (this.#nextAttemptAt.get(key) ?? 0)) return Promise.resolve();
    const attempt = this.#renew(kind, appid, seen)
      .then(() => undefined)
      .catch((err: unknown) => {
        this.#backOff(key);
        this.#log.warn({ appid, kind, err: errorText(err) }, 'proactive refresh failed; serving current');
      })
      .finally(() => this.#background.delete(key));
    this.#background.set(key, attempt);
    return attempt;
  }

  /** Runs a pass every `intervalMs` (the timer does not keep the process alive). */
  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
  }

  /**
   * Stops the timer and new passes. A fetch under way is let finish and be stored (WeChat has
   * issued that token), so the store can be closed once this resolves.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([this.#pass, ...this.#background.values()].map((p) => p?.catch(() => undefined)));
  }

  /**
   * One pass. Resolves once everything due when it was called is done; a call made while a pass
   * runs gets the pass that starts after it.
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
      while (!this.#stopped) {
        const entry = this.#due.popDue(this.#clock.now());
        if (entry !== undefined) await this.#renewDue(entry);
        else if (next < missing.length) {
          const appid = missing[next++] as string;
          if (this.#unwarmed.has(appid)) await this.#warmFirst(appid);
        } else return;
      }
    };
    await Promise.all(Array.from({ length: this.#refreshConcurrency }, work));
  }

  /** A due credential: refreshed, or queued again if it is still the cached one afterwards. */
  async #renewDue(entry: CacheEntry): Promise<void> {
    // Replaced since it was queued (a refresh, another process's write): its successor is queued.
    if (!this.#isCurrent(entry)) return;
    await this.refreshInBackground(entry.kind, entry.appid, entry.record);
    if (!this.#isCurrent(entry)) return;
    // Failed (retry after retryAfterFailureMs), disabled, or the store kept an older record: later.
    const retryAt = this.#nextAttemptAt.get(tokenKey(entry.kind, entry.appid)) ?? 0;
    this.#due.push(Math.max(retryAt, this.#clock.now() + RECHECK_MS), entry);
  }

  async #warmFirst(appid: string): Promise<void> {
    await this.#warm(appid).catch((err: unknown) => {
      this.#backOff(tokenKey('access_token', appid));
      this.#log.warn({ appid, err: errorText(err) }, 'could not obtain a token');
    });
  }

  #backOff(key: string): void {
    this.#nextAttemptAt.set(key, this.#clock.now() + this.#retryAfterFailureMs);
  }
}
