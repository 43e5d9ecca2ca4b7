/**
 * WeChat's daily and monthly quotas roll over at midnight Beijing time. Asia/Shanghai has been
 * UTC+8 without daylight saving since 1991, so a fixed offset is exact and avoids Intl on hot paths.
 */
const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The quota day an instant belongs to, as `YYYY-MM-DD` (a store counter's window). */
export function quotaDay(epochMs: number): string {
  return new Date(epochMs + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** The quota month, as `YYYY-MM` (monthly limits such as clear_quota). */
export function quotaMonth(epochMs: number): string {
  return quotaDay(epochMs).slice(0, 7);
}

/** Days since the epoch, counted in Beijing time: a cheap numeric key for a daily window. */
export function quotaDayIndex(epochMs: number): number {
  return Math.floor((epochMs + BEIJING_OFFSET_MS) / DAY_MS);
}

/** Months since year 0, counted in Beijing time: a numeric key for a monthly window. */
export function quotaMonthIndex(epochMs: number): number {
  const d = new Date(epochMs + BEIJING_OFFSET_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** `YYYY-MM-DD HH:MM:SS` in Beijing time, for people reading a clock. */
export function beijingWallTime(epochMs: number): string {
  return new Date(epochMs + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}
