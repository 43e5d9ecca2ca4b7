import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isWeChatError, isWxhubError, WxhubError } from '../errors/index.js';
import { redactUrl } from '../http/index.js';
import type { HubServices } from '../hub/hub-services.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { quotaDay } from '../wechat/quota-day.js';
import { syncFollowers } from './sync-followers.js';

/** WeChat's daily limit of `/cgi-bin/user/get` calls per account (each returns 10,000 openids). */
export const USER_GET_DAILY_LIMIT = 500;

/** What started a sync. */
export type SyncTrigger = 'schedule' | 'manual';

/** How one sync ended. Times are epoch ms. */
export type SyncOutcome =
  | {
      readonly ok: true;
      readonly trigger: SyncTrigger;
      readonly startedAt: number;
      readonly finishedAt: number;
      /** Followers WeChat counts (`total` of `/cgi-bin/user/get`). */
      readonly total: number;
      readonly synced: number;
      readonly removed: number;
    }
  | {
      readonly ok: false;
      readonly trigger: SyncTrigger;
      readonly startedAt: number;
      readonly finishedAt: number;
      /** WeChat's errcode when WeChat (or the token engine on its behalf) refused. */
      readonly errcode?: number;
      /** wxhub's error code (`WXHUB_ERR_*`) when the failure was the hub's own. */
      readonly code?: string;
      /** WeChat's errmsg, or what went wrong; never a secret. */
      readonly message: string;
      /** Another hub of the fleet was syncing this account: nothing was done. */
      readonly busy?: true;
    };

/** An account's sync as the dashboard and `/v1/admin` show it. */
export interface FollowerSyncStatus {
  readonly appid: string;
  /** The sync running in this process, or null. */
  readonly running: { readonly trigger: SyncTrigger; readonly startedAt: number } | null;
  /** How this process's last sync of the account ended, or null. */
  readonly last: SyncOutcome | null;
  /** When any hub of the fleet last completed a sync (the database's mark), or null. */
  readonly lastSyncedAt: number | null;
  /** Seconds between scheduled syncs; 0: no schedule. */
  readonly intervalSeconds: number;
  /** `/cgi-bin/user/get` calls the fleet's syncs made today (Beijing day); null when unknown. */
  readonly userGetToday: number | null;
  readonly userGetDailyLimit: number;
}

export interface FollowerSyncOptions {
  readonly services: HubServices;
  readonly logger?: Logger;
  /** Default: `config.followers.syncIntervalSeconds`. */
  readonly intervalSeconds?: number;
  /** After a failed scheduled sync, try again this much later (at most the interval), ms. Default 1 h. */
  readonly retryAfterFailureMs?: number;
}

/** A sync holds this lease (renewed while it runs) so two hubs never sync one account at once. */
const LEASE_MS = 60_000;
const DEFAULT_CHECK_MS = 60_000;

/**
 * Follower sync for a hub: on demand (`run`) and on a schedule (`start`), for every configured
 * account, through the token engine (`syncFollowers`). Nothing waits on it: a sync runs in the
 * background, one account at a time on the schedule, and a second request for a running sync
 * joins it. Across a fleet on one store, a lease keeps two hubs from syncing one account at once,
 * and a due-gate (a lease nobody releases, living one interval) lets one hub per interval run the
 * scheduled sync, so the fleet spends WeChat's 500 `user/get` calls a day once, not once per hub.
 * Emits `sync` with the account's `SyncOutcome` after each run.
 */
export class FollowerSync extends EventEmitter<{ sync: [appid: string, outcome: SyncOutcome] }> {
  readonly intervalSeconds: number;
  readonly #services: HubServices;
  readonly #log: Logger;
  readonly #retryMs: number;
  readonly #owner = randomUUID();
  readonly #running = new Map<
    string,
    { trigger: SyncTrigger; startedAt: number; done: Promise<SyncOutcome> }
  >();
  readonly #last = new Map<string, SyncOutcome>();
  /** The due-gate this process holds per account (its owner id), to shorten it after a failure. */
  readonly #gates = new Map<string, string>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | null = null;

  constructor(options: FollowerSyncOptions) {
    super();
    this.#services = options.services;
    this.#log = options.logger ?? silentLogger;
    this.intervalSeconds = options.intervalSeconds ?? options.services.config.followers.syncIntervalSeconds;
    this.#retryMs = options.retryAfterFailureMs ?? 3600_000;
  }

  /** True while the schedule runs (`start` was called, the interval is not 0, not closed). */
  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts the schedule: every `checkEveryMs`, accounts whose turn has come are synced. */
  start(checkEveryMs = DEFAULT_CHECK_MS): void {
    if (this.#timer || this.intervalSeconds === 0 || this.#abort.signal.aborted) return;
    this.#timer = setInterval(() => void this.tick(), checkEveryMs);
    this.#timer.unref();
  }

  /**
   * One pass of the schedule: each account whose due-gate this hub can take is synced, one after
   * the other. Resolves when the pass is over (a pass already running is joined).
   */
  tick(): Promise<void> {
    if (this.intervalSeconds === 0) return Promise.resolve();
    this.#ticking ??= this.#pass().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  /**
   * Syncs `appid` now, or joins the sync of it already running in this process. Resolves how it
   * ended (a failure is an outcome, not a rejection); rejects only for an appid the hub does not
   * serve (`WXHUB_ERR_UNKNOWN_ACCOUNT`).
   */
  run(appid: string, trigger: SyncTrigger = 'manual'): Promise<SyncOutcome> {
    const running = this.#running.get(appid);
    if (running) return running.done;
    if (!this.#services.manager.hasAccount(appid)) {
      return Promise.reject(new WxhubError('WXHUB_ERR_UNKNOWN_ACCOUNT', appid.slice(0, 64)));
    }
    const startedAt = this.#services.clock.now();
    const done = this.#sync(appid, trigger, startedAt).then((outcome) => {
      this.#running.delete(appid);
      this.#last.set(appid, outcome);
      this.emit('sync', appid, outcome);
      return outcome;
    });
    this.#running.set(appid, { trigger, startedAt, done });
    return done;
  }

  /**
   * Starts a manual sync of `appid` (or joins the running one), waits for it at most `waitMs`,
   * and answers the status then: `running` when it has not ended yet.
   */
  async begin(appid: string, waitMs = 0): Promise<FollowerSyncStatus> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.run(appid, 'manual'),
      new Promise((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(timer);
    return this.status(appid);
  }

  /** The account's sync: running or not, the last outcome, the fleet's last sync, today's calls. */
  async status(appid: string): Promise<FollowerSyncStatus> {
    const { database, store, clock } = this.#services;
    const running = this.#running.get(appid);
    const [lastSyncedAt, userGetToday] = await Promise.all([
      database.followers.lastSyncedAt(appid).catch(() => null),
      store.getCounter(userGetCounter(appid), quotaDay(clock.now())).catch(() => null),
    ]);
    return {
      appid,
      running: running ? { trigger: running.trigger, startedAt: running.startedAt } : null,
      last: this.#last.get(appid) ?? null,
      lastSyncedAt,
      intervalSeconds: this.intervalSeconds,
      userGetToday,
      userGetDailyLimit: USER_GET_DAILY_LIMIT,
    };
  }

  /** Stops the schedule and any running sync (it removes nothing), and waits for them to end. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await Promise.all([this.#ticking, ...[...this.#running.values()].map((r) => r.done)]);
  }

  async #pass(): Promise<void> {
    for (const appid of this.#services.manager.appids()) {
      if (this.#abort.signal.aborted) return;
      if (this.#running.has(appid)) continue;
      try {
        if (!(await this.#takeTurn(appid))) continue;
      } catch (err) {
        this.#log.warn({ appid, err: describe(err) }, 'follower sync: store did not answer; skipped');
        continue;
      }
      const outcome = await this.run(appid, 'schedule');
      if (!outcome.ok && !outcome.busy) await this.#retrySooner(appid).catch(() => undefined);
    }
  }

  /** Takes the account's due-gate for one interval: false when a hub synced it within the interval. */
  async #takeTurn(appid: string): Promise<boolean> {
    const owner = randomUUID();
    if (!(await this.#services.store.acquireLease(gateName(appid), owner, this.intervalSeconds * 1000))) {
      return false;
    }
    this.#gates.set(appid, owner);
    return true;
  }

  /** After a failed scheduled sync, the next one comes in an hour rather than a whole interval. */
  async #retrySooner(appid: string): Promise<void> {
    const { store } = this.#services;
    const owner = this.#gates.get(appid);
    if (!owner || !(await store.releaseLease(gateName(appid), owner))) return;
    const next = randomUUID();
    const ttl = Math.min(this.#retryMs, this.intervalSeconds * 1000);
    if (await store.acquireLease(gateName(appid), next, ttl)) this.#gates.set(appid, next);
  }

  async #sync(appid: string, trigger: SyncTrigger, startedAt: number): Promise<SyncOutcome> {
    const { store, clock } = this.#services;
    const lease = `followers:sync:${appid}`;
    const failed = (
      fields: Omit<Extract<SyncOutcome, { ok: false }>, 'ok' | 'trigger' | 'startedAt' | 'finishedAt'>,
    ) => ({ ok: false, trigger, startedAt, finishedAt: clock.now(), ...fields }) as const;
    try {
      if (!(await store.acquireLease(lease, this.#owner, LEASE_MS))) {
        return failed({ busy: true, message: 'another hub is syncing this account now' });
      }
    } catch (err) {
      return failed(explain(err));
    }
    const renew = setInterval(() => {
      store.acquireLease(lease, this.#owner, LEASE_MS).catch(() => undefined);
    }, LEASE_MS / 3);
    renew.unref();
    try {
      const result = await syncFollowers(this.#services, appid, {
        logger: this.#log,
        signal: this.#abort.signal,
        onUserGet: () => {
          store.incrementCounter(userGetCounter(appid), quotaDay(clock.now())).catch(() => undefined);
        },
      });
      return { ok: true, trigger, startedAt, finishedAt: clock.now(), ...result };
    } catch (err) {
      const outcome = failed(explain(err, this.#abort.signal));
      this.#log.warn(
        { appid, trigger, errcode: outcome.errcode, code: outcome.code, err: describe(err) },
        'follower sync failed',
      );
      return outcome;
    } finally {
      clearInterval(renew);
      await store.releaseLease(lease, this.#owner).catch(() => undefined);
    }
  }
}

function gateName(appid: string): string {
  return `followers:due:${appid}`;
}

function userGetCounter(appid: string): string {
  return `followers:user_get:${appid}`;
}

/** A failure as the dashboard shows it: WeChat's errcode and errmsg first, never a stack. */
function explain(err: unknown, signal?: AbortSignal): { errcode?: number; code?: string; message: string } {
  if (isWeChatError(err)) return { errcode: err.errcode, message: err.errmsg };
  if (isWxhubError(err)) {
    return {
      code: err.code,
      message: err.message,
      ...(err.errcode !== undefined ? { errcode: err.errcode } : {}),
    };
  }
  if (signal?.aborted) return { message: 'stopped: the hub is closing' };
  return { code: 'WXHUB_ERR_INTERNAL', message: 'internal error (see the hub log)' };
}

/** For the log: the error's message without any URL query (a token could be in one). */
function describe(err: unknown): string {
  return redactUrl(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
}
