import type { CredentialRecord, Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Account } from './account.js';
import type { AccountState } from './account-state.js';
import type { ChangeFeed } from './change-feed.js';
import { type CredentialKind, parseKey, tokenKey } from './credential-key.js';
import { errorText } from './error-text.js';
import { isUsable, serveUntil } from './freshness.js';

/** This process's copy of a credential, with the instants that decide the hot path precomputed. */
export interface CacheEntry {
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

export interface CredentialCacheOptions {
  readonly store: Store;
  readonly changes: ChangeFeed;
  readonly accounts: AccountState;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly expiryMarginMs: number;
  readonly jitterMs: number;
  readonly revalidateMs: number;
  /** Called with every entry the cache starts holding (the scheduler queues its refresh). */
  readonly onEntry: (entry: CacheEntry) => void;
}

/**
 * This process's copies of the credentials it uses, kept in step with the store: every write any
 * process makes arrives through the change feed and is re-read; without a notice, a copy in use is
 * re-read at least every `revalidateMs`. A copy the store lost (a Redis restart) is written back.
 */
export class CredentialCache {
  /** The copies by kind, then appid; the facade's hot path reads these maps directly. */
  readonly byKind: Readonly<Record<CredentialKind, ReadonlyMap<string, CacheEntry>>>;
  readonly #entries: Record<CredentialKind, Map<string, CacheEntry>> = {
    access_token: new Map(),
    jsapi: new Map(),
    wx_card: new Map(),
  };
  readonly #store: Store;
  readonly #changes: ChangeFeed;
  readonly #accounts: AccountState;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #expiryMarginMs: number;
  readonly #jitterMs: number;
  readonly #revalidateMs: number;
  readonly #onEntry: (entry: CacheEntry) => void;
  /** This process's place in the proactive-refresh spread, fixed at start. */
  readonly #jitterShare = Math.random();

  constructor(options: CredentialCacheOptions) {
    this.byKind = this.#entries;
    this.#store = options.store;
    this.#changes = options.changes;
    this.#accounts = options.accounts;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#expiryMarginMs = options.expiryMarginMs;
    this.#jitterMs = options.jitterMs;
    this.#revalidateMs = options.revalidateMs;
    this.#onEntry = options.onEntry;
    this.#changes.onChange((key) => {
      const { kind, appid } = parseKey(key);
      if (this.#entries[kind]?.has(appid)) void this.revalidate(kind, appid);
    });
  }

  /**
   * Subscribes to the store's change feed. Resolves once subscribed, or once the feed is known to
   * be unavailable: then the copies rely on revalidation alone.
   */
  listen(): Promise<void> {
    return this.#changes.start().catch((err: unknown) => {
      this.#log.warn({ err: String(err) }, 'store change feed unavailable; relying on revalidation');
    });
  }

  /** True while `entry` is the copy held for its credential (not replaced or forgotten since). */
  isCurrent(entry: CacheEntry): boolean {
    return this.#entries[entry.kind].get(entry.appid) === entry;
  }

  /** Drops every copy of an account's credentials (the store keeps them for other processes). */
  forget(appid: string): void {
    for (const entries of Object.values(this.#entries)) entries.delete(appid);
  }

  /** Re-reads a credential from the store, keeping the copy when the store cannot answer. */
  async revalidate(kind: CredentialKind, appid: string): Promise<void> {
    const key = tokenKey(kind, appid);
    const entry = this.#entries[kind].get(appid);
    // Quiet again at once, so the callers arriving during this read don't start another.
    if (entry) entry.quietUntil = Math.min(entry.refreshAt, this.#clock.now() + this.#revalidateMs);
    try {
      const record = await this.#store.getCredential(key);
      if (record) return this.remember(kind, appid, record);
      // The store lost it (e.g. Redis restarted): put back what we hold rather than refetch.
      if (entry && isUsable(entry.record, this.#clock.now(), this.#expiryMarginMs)) {
        const { value, expiresAt, fetchedAt } = entry.record;
        const restored = await this.#store.compareAndSetCredential(key, 0, { value, expiresAt, fetchedAt });
        if (restored) this.remember(kind, appid, restored);
      }
    } catch (err) {
      this.#log.warn({ key, err: errorText(err) }, 'store read failed; serving cached credential');
    }
  }

  /** Takes `record` as the copy of a credential, unless the copy held is newer and still usable. */
  remember(kind: CredentialKind, appid: string, record: CredentialRecord): void {
    const account = this.#accounts.get(appid);
    // Removed while its refresh or re-read was in flight: nothing of it is kept.
    if (account === undefined) return;
    const entries = this.#entries[kind];
    const cached = entries.get(appid);
    // The same credential may come back under another version: a store that lost its records (a
    // Redis restart) numbers the written-back copy from 1 again. Follow the store's version then,
    // or a proactive refresh, which checks the version it saw, never fetches.
    const same = cached?.record.value === record.value && cached.record.fetchedAt === record.fetchedAt;
    const now = this.#clock.now();
    if (
      !same &&
      cached &&
      isOlder(record, cached.record) &&
      isUsable(cached.record, now, this.#expiryMarginMs)
    ) {
      return;
    }
    if (same && cached.record.version === record.version) {
      cached.quietUntil = Math.min(cached.refreshAt, now + this.#revalidateMs);
      return;
    }
    const refreshAt = this.#refreshAt(account, record);
    const entry: CacheEntry = {
      kind,
      // The account's own string: `appid` may be a slice of a change-feed key, which would keep
      // the whole key alive for as long as the entry.
      appid: account.appid,
      record,
      promise: Promise.resolve(record),
      valuePromise: Promise.resolve(record.value),
      serveUntil: serveUntil(record, this.#expiryMarginMs),
      refreshAt,
      quietUntil: Math.min(refreshAt, now + this.#revalidateMs),
    };
    entries.set(account.appid, entry);
    this.#onEntry(entry);
  }

  /** Expiry less the account's refresh margin, less this process's share of the jitter. */
  #refreshAt(account: Account, record: CredentialRecord): number {
    const margin =
      account.refreshMarginMs - this.#jitterShare * Math.min(this.#jitterMs, account.refreshMarginMs / 4);
    return record.expiresAt - margin;
  }
}

function isOlder(a: CredentialRecord, b: CredentialRecord): boolean {
  return a.fetchedAt < b.fetchedAt || (a.fetchedAt === b.fetchedAt && a.version < b.version);
}
