import type { SettingsTable } from '../db/index.js';
import { WxhubError } from '../errors/index.js';

/**
 * The fleet's enable requests, one setting: `{appid: n}`, where `n` grows by one each time an
 * operator enables the account. A cool-down after a configuration error is per process, so every
 * hub must hear of the request: each one compares the counters with those it last saw. Counters,
 * not times, so hubs with skewed clocks agree.
 */
export const ENABLE_REQUESTS_SETTING = 'accounts.enable_requests';

/** How many times a lost compare-and-set is retried before giving up. */
const ATTEMPTS = 20;

/** Each appid's enable count, as stored. */
export type EnableCounters = Readonly<Record<string, number>>;

/** The counters as stored; an unreadable value counts as none. */
export async function readEnableRequests(settings: SettingsTable): Promise<EnableCounters> {
  return parse(await settings.get(ENABLE_REQUESTS_SETTING));
}

/** Adds one to `appid`'s counter for the whole fleet; resolves the new counters. */
export async function requestEnable(settings: SettingsTable, appid: string): Promise<EnableCounters> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const stored = await settings.putIfAbsent(ENABLE_REQUESTS_SETTING, '{}');
    const counters = parse(stored);
    const next = { ...counters, [appid]: (counters[appid] ?? 0) + 1 };
    if (await settings.compareAndSet(ENABLE_REQUESTS_SETTING, stored, JSON.stringify(next))) return next;
  }
  throw new WxhubError(
    'WXHUB_ERR_DATABASE_UNAVAILABLE',
    'enable request: too many concurrent writers, try again',
  );
}

/** The appids whose counter in `now` is above the one in `seen`. */
export function newEnableRequests(seen: EnableCounters, now: EnableCounters): string[] {
  return Object.keys(now).filter((appid) => (now[appid] ?? 0) > (seen[appid] ?? 0));
}

function parse(text: string | null): EnableCounters {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
    return Object.fromEntries(
      Object.entries(value).filter((entry): entry is [string, number] => Number.isSafeInteger(entry[1])),
    );
  } catch {
    return {};
  }
}
