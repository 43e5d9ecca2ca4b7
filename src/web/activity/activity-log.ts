import type { EventEmitter } from 'node:events';
import type { QuotaWarning, RefreshEvent, UpstreamEvent } from '../../tokens/index.js';
import { type Clock, systemClock } from '../../util/clock.js';
import { TOKEN_INVALID_ERRCODES } from '../../wechat/errcodes.js';
import { Ring } from './ring.js';

const MINUTE_MS = 60_000;
/**
 * A token error (40001, 40014, 42001) followed this soon by a success on the same path is the
 * hub's own recovery at work: its callers (the drop-in proxy, WeChatClient) refresh-if-current
 * and retry once, at once. The refresh waits at most a lease (15 s) and the call a timeout.
 */
const HEAL_WINDOW_MS = 30_000;

/** Upstream calls of one account in one minute. */
export interface MinuteBucket {
  /** Epoch ms of the minute's start. */
  readonly start: number;
  readonly calls: number;
  /**
   * Calls that did not answer errcode 0 (WeChat errors and transport failures, -2), except token
   * errors the retry after them fixed.
   */
  readonly errors: number;
}

/** One refresh, as the dashboard lists it. */
export interface RefreshEntry extends RefreshEvent {
  readonly at: number;
}

/** Something that went wrong for an account. */
export interface ActivityError {
  readonly at: number;
  readonly source: 'refresh' | 'upstream' | 'quota';
  readonly message: string;
  readonly errcode?: number;
  readonly path?: string;
}

/** Upstream calls since start by path and errcode. */
export interface UpstreamTally {
  readonly path: string;
  readonly errcode: number;
  readonly count: number;
  /** Of `count`, token errors that the retry right after them fixed (not errors to anyone). */
  readonly healed: number;
}

/** Refreshes since start by kind, reason and outcome. */
export interface RefreshTally {
  readonly kind: RefreshEvent['kind'];
  readonly reason: RefreshEvent['reason'];
  readonly outcome: RefreshEvent['outcome'];
  readonly count: number;
}

export interface ActivityLogOptions {
  readonly clock?: Clock;
  /** How many one-minute buckets each account keeps (the chart's width). Default 60. */
  readonly minutes?: number;
  /** How many recent refreshes and errors each account keeps. Default 50. */
  readonly keep?: number;
}

/** What the log subscribes to: a TokenManager (`refresh`, `upstream`, `quota-warning` events). */
export type ActivitySource = Pick<EventEmitter, 'on' | 'off'>;

interface Slot {
  minute: number;
  calls: number;
  errors: number;
}

/** A token error waiting to see whether the retry after it succeeds. */
interface PendingTokenError {
  readonly at: number;
  readonly minute: number;
  readonly tallyKey: string;
  readonly error: ActivityError;
}

class AccountActivity {
  readonly slots: Slot[];
  readonly refreshes: Ring<RefreshEntry>;
  readonly errors: Ring<ActivityError>;
  readonly upstream = new Map<string, { path: string; errcode: number; count: number; healed: number }>();
  readonly refreshTally = new Map<string, RefreshTally>();
  /** Token errors by path, oldest first, not yet healed (entries older than the window are dropped). */
  readonly pending = new Map<string, PendingTokenError[]>();
  /** Errors a retry fixed: kept in the ring (fixed memory) but not shown. */
  readonly healed = new WeakSet<ActivityError>();

  constructor(minutes: number, keep: number) {
    this.slots = Array.from({ length: minutes }, () => ({ minute: -1, calls: 0, errors: 0 }));
    this.refreshes = new Ring(keep);
    this.errors = new Ring(keep);
  }
}

/**
 * What the operator dashboard shows of the last hour: an in-memory log fed by the TokenManager's
 * `refresh`, `upstream` and `quota-warning` events, with per-minute buckets of upstream calls
 * (a ring of `minutes` slots per account, so memory is fixed), the recent refreshes and errors
 * (rings of `keep`), and tallies since start. This process's events only: other hubs of a fleet
 * keep their own (Prometheus `/metrics` is the fleet-wide view).
 */
export class ActivityLog {
  readonly #clock: Clock;
  readonly #minutes: number;
  readonly #keep: number;
  readonly #accounts = new Map<string, AccountActivity>();

  constructor(options: ActivityLogOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#minutes = options.minutes ?? 60;
    this.#keep = options.keep ?? 50;
    if (!Number.isInteger(this.#minutes) || this.#minutes < 1) throw new RangeError('minutes must be >= 1');
  }

  /** The number of one-minute buckets kept per account. */
  get minutes(): number {
    return this.#minutes;
  }

  /** Subscribes to a TokenManager's events; the returned function unsubscribes. */
  attach(source: ActivitySource): () => void {
    const onRefresh = (e: RefreshEvent) => this.recordRefresh(e);
    const onUpstream = (e: UpstreamEvent) => this.recordUpstream(e);
    const onQuota = (w: QuotaWarning) => this.recordQuotaWarning(w);
    source.on('refresh', onRefresh);
    source.on('upstream', onUpstream);
    source.on('quota-warning', onQuota);
    return () => {
      source.off('refresh', onRefresh);
      source.off('upstream', onUpstream);
      source.off('quota-warning', onQuota);
    };
  }

  recordRefresh(event: RefreshEvent): void {
    const at = this.#clock.now();
    const account = this.#account(event.appid);
    account.refreshes.push({ ...event, at });
    const key = `${event.kind}|${event.reason}|${event.outcome}`;
    const tally = account.refreshTally.get(key);
    account.refreshTally.set(key, {
      kind: event.kind,
      reason: event.reason,
      outcome: event.outcome,
      count: (tally?.count ?? 0) + 1,
    });
    if (event.outcome === 'failed') {
      account.errors.push({
        at,
        source: 'refresh',
        message: `${event.kind} refresh (${event.reason}) failed${event.error ? `: ${event.error}` : ''}`,
        errcode: event.errcode,
      });
    }
  }

  recordUpstream(event: UpstreamEvent): void {
    const at = this.#clock.now();
    const account = this.#account(event.appid);
    const minute = Math.floor(at / MINUTE_MS);
    const slot = account.slots[minute % this.#minutes]!;
    if (slot.minute !== minute) {
      slot.minute = minute;
      slot.calls = 0;
      slot.errors = 0;
    }
    slot.calls++;
    const key = `${event.path} ${event.errcode}`;
    const tally = account.upstream.get(key) ?? {
      path: event.path,
      errcode: event.errcode,
      count: 0,
      healed: 0,
    };
    tally.count++;
    account.upstream.set(key, tally);
    if (event.errcode === 0) {
      this.#heal(account, event.path, at);
      return;
    }
    slot.errors++;
    const error: ActivityError = {
      at,
      source: 'upstream',
      path: event.path,
      errcode: event.errcode,
      message:
        event.errcode === -2
          ? `${event.path}: no answer from WeChat (transport failure)`
          : `${event.path} answered errcode ${event.errcode}`,
    };
    account.errors.push(error);
    if (TOKEN_INVALID_ERRCODES.has(event.errcode)) {
      const pending = account.pending.get(event.path) ?? [];
      pending.push({ at, minute, tallyKey: key, error });
      account.pending.set(event.path, pending);
    }
  }

  /** A success on `path`: the oldest token error on it within the window was healed by its retry. */
  #heal(account: AccountActivity, path: string, at: number): void {
    const pending = account.pending.get(path);
    if (!pending) return;
    while (pending.length > 0 && at - pending[0]!.at > HEAL_WINDOW_MS) pending.shift();
    const healed = pending.shift();
    if (pending.length === 0) account.pending.delete(path);
    if (!healed) return;
    const slot = account.slots[healed.minute % this.#minutes]!;
    if (slot.minute === healed.minute && slot.errors > 0) slot.errors--;
    const tally = account.upstream.get(healed.tallyKey);
    if (tally) tally.healed++;
    account.healed.add(healed.error);
  }

  recordQuotaWarning(warning: QuotaWarning): void {
    this.#account(warning.appid).errors.push({
      at: this.#clock.now(),
      source: 'quota',
      message: `daily token budget nearly used: ${warning.used} of ${warning.budget}`,
    });
  }

  /**
   * The last `minutes` one-minute buckets of `appid` up to the minute of `now`, oldest first,
   * minutes without calls as zeros.
   */
  buckets(appid: string, now = this.#clock.now()): MinuteBucket[] {
    const account = this.#accounts.get(appid);
    const current = Math.floor(now / MINUTE_MS);
    const out: MinuteBucket[] = [];
    for (let minute = current - this.#minutes + 1; minute <= current; minute++) {
      const slot = account?.slots[((minute % this.#minutes) + this.#minutes) % this.#minutes];
      const live = slot !== undefined && slot.minute === minute;
      out.push({ start: minute * MINUTE_MS, calls: live ? slot.calls : 0, errors: live ? slot.errors : 0 });
    }
    return out;
  }

  /** Recent refreshes of `appid`, newest first. */
  refreshes(appid: string): RefreshEntry[] {
    return this.#accounts.get(appid)?.refreshes.newestFirst() ?? [];
  }

  /** Recent errors of `appid`, newest first (token errors a retry fixed are not errors). */
  errors(appid: string): ActivityError[] {
    const account = this.#accounts.get(appid);
    return account?.errors.newestFirst().filter((e) => !account.healed.has(e)) ?? [];
  }

  /** Upstream calls since start by path and errcode, most frequent first. */
  upstreamTally(appid: string): UpstreamTally[] {
    const rows: UpstreamTally[] = [...(this.#accounts.get(appid)?.upstream.values() ?? [])].map((t) => ({
      ...t,
    }));
    return rows.sort((a, b) => b.count - a.count || a.path.localeCompare(b.path) || a.errcode - b.errcode);
  }

  /** Refreshes since start by kind, reason and outcome, most frequent first. */
  refreshTally(appid: string): RefreshTally[] {
    const rows = [...(this.#accounts.get(appid)?.refreshTally.values() ?? [])];
    return rows.sort((a, b) => b.count - a.count);
  }

  #account(appid: string): AccountActivity {
    let account = this.#accounts.get(appid);
    if (!account) {
      account = new AccountActivity(this.#minutes, this.#keep);
      this.#accounts.set(appid, account);
    }
    return account;
  }
}
