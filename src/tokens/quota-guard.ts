import { randomUUID } from 'node:crypto';
import { WxhubError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { quotaDay } from '../wechat/quota-day.js';
import type { Account } from './account.js';

/** Counters kept per account and Beijing day, shared by every process on the store. */
export type QuotaCounter = 'token' | 'stable' | 'stable_force' | 'ticket';

/** WeChat's stable_token force_refresh limits. */
const FORCE_PER_DAY = 20;
const FORCE_SPACING_MS = 30_000;
/** Warn when this share of the daily budget is used. */
const WARN_AT = 0.8;

export interface QuotaWarning {
  readonly appid: string;
  readonly used: number;
  readonly budget: number;
}

/**
 * Guards WeChat's daily quotas before a call is made, counting in the store so a fleet shares one
 * budget: the classic token fetches (2000/day), stable force_refresh (20/day, 30 s apart), and a
 * local stop after WeChat itself answered 45009, until the next Beijing midnight.
 */
export class QuotaGuard {
  readonly #exhaustedDay = new Map<string, string>();
  readonly #warnedDay = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly onWarning: (warning: QuotaWarning) => void = () => undefined,
  ) {}

  /** Counts one upstream call; rejects without calling when the account's budget is spent. */
  async spend(account: Account, counter: QuotaCounter): Promise<number> {
    const day = quotaDay(this.clock.now());
    if (this.#exhaustedDay.get(account.appid) === day) {
      throw new WxhubError('WXHUB_ERR_QUOTA_EXHAUSTED', `${account.appid}: WeChat answered 45009 today`, {
        errcode: 45009,
      });
    }
    const name = `quota:${counter}:${account.appid}`;
    const used = await this.store.incrementCounter(name, day);
    if (counter === 'token' && used > account.dailyBudget) {
      // Refused calls never reached WeChat, so they must not count as used quota.
      await this.store.incrementCounter(name, day, -1);
      throw new WxhubError(
        'WXHUB_ERR_QUOTA_EXHAUSTED',
        `${account.appid}: all ${account.dailyBudget} token fetches of dailyBudget used today`,
        { errcode: 45009 },
      );
    }
    if (counter === 'token') this.#warnNearBudget(account, used, day);
    return used;
  }

  /** Records WeChat's own 45009: no more fetches for this account until the day turns. */
  markExhausted(appid: string): void {
    this.#exhaustedDay.set(appid, quotaDay(this.clock.now()));
  }

  /** How many calls of a kind the fleet made for an account today. */
  used(appid: string, counter: QuotaCounter): Promise<number> {
    return this.store.getCounter(`quota:${counter}:${appid}`, quotaDay(this.clock.now()));
  }

  /**
   * True when a stable force_refresh may be spent now: fewer than 20 today and none in the last
   * 30 s fleet-wide (a lease nobody releases is the spacing gate).
   */
  async allowForce(appid: string): Promise<boolean> {
    if (!(await this.store.acquireLease(`force-gate:${appid}`, randomUUID(), FORCE_SPACING_MS))) return false;
    const day = quotaDay(this.clock.now());
    const used = await this.store.incrementCounter(`quota:stable_force:${appid}`, day);
    return used <= FORCE_PER_DAY;
  }

  #warnNearBudget(account: Account, used: number, day: string): void {
    if (used >= account.dailyBudget * WARN_AT && this.#warnedDay.get(account.appid) !== day) {
      this.#warnedDay.set(account.appid, day);
      this.onWarning({ appid: account.appid, used, budget: account.dailyBudget });
    }
  }
}
