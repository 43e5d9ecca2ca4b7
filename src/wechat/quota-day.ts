const BEIJING_OFFSET_MS = 8 * 3_600_000;

/**
 * The quota day an instant belongs to, as `YYYY-MM-DD`. WeChat's daily quotas reset at midnight
 * Beijing time (UTC+8, no daylight saving), whatever the server's own time zone.
 */
export function quotaDay(epochMs: number): string {
  return new Date(epochMs + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** The quota month (`YYYY-MM`, Beijing time), for monthly limits such as clear_quota. */
export function quotaMonth(epochMs: number): string {
  return quotaDay(epochMs).slice(0, 7);
}
