import { PATHS } from '../../wechat/paths.js';
import { quotaDayIndex, quotaMonthIndex } from '../../wechat/quota-day.js';

/**
 * Daily call limits per account, as WeChat documents them (0 = no daily limit). The token limit
 * is the account's `tokenDailyQuota`. Numbers WeChat does not publish are simulator choices.
 */
export const DAILY_LIMITS: Readonly<Record<string, number>> = {
  [PATHS.token]: 2000,
  [PATHS.stableToken]: 500_000,
  [PATHS.userInfo]: 5_000_000,
  [PATHS.userBatchGet]: 5_000_000,
  [PATHS.userList]: 500,
  [PATHS.ticket]: 100_000,
  [PATHS.clearQuota]: 0,
  [PATHS.clearQuotaV2]: 0,
  [PATHS.quotaGet]: 0,
  [PATHS.oauthAccessToken]: 0,
  [PATHS.oauthRefreshToken]: 0,
  [PATHS.snsUserInfo]: 0,
  [PATHS.snsAuth]: 0,
  [PATHS.qrcodeCreate]: 100_000,
  [PATHS.customSend]: 500_000,
  [PATHS.customTyping]: 0,
  [PATHS.callbackIp]: 0,
};

/** Per-minute limits reported by `/cgi-bin/openapi/quota/get` (reported, not enforced). */
export const RATE_LIMITS: Readonly<Record<string, { call_count: number; refresh_second: number }>> = {
  [PATHS.stableToken]: { call_count: 10_000, refresh_second: 60 },
  [PATHS.oauthAccessToken]: { call_count: 50_000, refresh_second: 60 },
};

/** A separate counter for stable_token's force_refresh (20 a day). */
export const FORCE_REFRESH_KEY = 'stable_token:force_refresh';
export const FORCE_REFRESH_DAILY_LIMIT = 20;
/** clear_quota (either version) 10 times a month. */
export const CLEAR_QUOTA_MONTHLY_LIMIT = 10;

/** The daily limit that applies to an account's calls of a path (Infinity when none). */
export function dailyLimit(path: string, tokenDailyQuota: number): number {
  if (path === PATHS.token) return tokenDailyQuota;
  const limit = Object.hasOwn(DAILY_LIMITS, path) ? DAILY_LIMITS[path] : undefined;
  return limit ? limit : Number.POSITIVE_INFINITY;
}

interface Window {
  key: number;
  counts: Map<string, number>;
}

/**
 * Counters per account and path, in windows of one virtual day (Asia/Shanghai); the window
 * rolls over on first use after midnight. Only calls that succeed are counted.
 */
export class QuotaCounters {
  readonly #daily = new Map<string, Window>();
  readonly #monthly = new Map<string, Window>();

  used(appid: string, key: string, now: number): number {
    return this.#window(this.#daily, appid, quotaDayIndex(now)).counts.get(key) ?? 0;
  }

  /** Counts one call unless `limit` calls were already counted today; false means 45009. */
  tryConsume(appid: string, key: string, limit: number, now: number): boolean {
    const counts = this.#window(this.#daily, appid, quotaDayIndex(now)).counts;
    const used = counts.get(key) ?? 0;
    if (used >= limit) return false;
    counts.set(key, used + 1);
    return true;
  }

  /** clear_quota: zero the account's daily counters. */
  clearDaily(appid: string): void {
    this.#daily.delete(appid);
  }

  /** One clear_quota for the month, unless the monthly limit is reached. */
  tryConsumeMonthlyClear(appid: string, now: number): boolean {
    const counts = this.#window(this.#monthly, appid, quotaMonthIndex(now)).counts;
    const used = counts.get('clear_quota') ?? 0;
    if (used >= CLEAR_QUOTA_MONTHLY_LIMIT) return false;
    counts.set('clear_quota', used + 1);
    return true;
  }

  clear(): void {
    this.#daily.clear();
    this.#monthly.clear();
  }

  #window(windows: Map<string, Window>, appid: string, key: number): Window {
    let window = windows.get(appid);
    if (!window || window.key !== key) {
      window = { key, counts: new Map() };
      windows.set(appid, window);
    }
    return window;
  }
}
