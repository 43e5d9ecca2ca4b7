import type { AccountConfig } from '../../config/index.js';
import type { HubServices } from '../../hub/hub-services.js';
import type { AccountStatus, QuotaCounter } from '../../tokens/index.js';
import type {
  ActivityError,
  ActivityLog,
  MinuteBucket,
  RefreshEntry,
  RefreshTally,
  UpstreamTally,
} from '../activity/activity-log.js';

/** Everything the dashboard shows of one account (no token, secret or key in it). */
export interface AccountReport {
  readonly appid: string;
  readonly name: string;
  readonly tokenMode: 'stable' | 'classic';
  /** The push URL's mode (`/callback/:appid`), null when the hub does not receive its pushes. */
  readonly pushMode: 'plain' | 'compatible' | 'safe' | null;
  readonly dailyBudget: number;
  readonly now: number;
  readonly status: AccountStatus;
  /** Today's counters (Beijing day), null when the store did not answer in time. */
  readonly quota: Readonly<Record<QuotaCounter, number | null>>;
  readonly buckets: readonly MinuteBucket[];
  readonly refreshes: readonly RefreshEntry[];
  readonly refreshTally: readonly RefreshTally[];
  readonly upstreamTally: readonly UpstreamTally[];
  readonly errors: readonly ActivityError[];
}

/**
 * What the reports read: the hub's services the dashboard may see. With `accounts` (the hub's
 * registry) the runtime accounts are shown too; without it, the configuration's.
 */
export type ReportServices = Pick<HubServices, 'config' | 'manager' | 'clock'> &
  Partial<Pick<HubServices, 'accounts'>>;

/** The accounts shown: served ones with an access_token (website apps have none to show). */
function shownAccounts(services: ReportServices): readonly AccountConfig[] {
  if (!services.accounts) return services.config.accounts;
  return services.accounts.list().filter((a) => a.enabled && a.kind === 'official');
}

const QUOTA_TIMEOUT_MS = 1000;
const COUNTERS: readonly QuotaCounter[] = ['token', 'stable', 'stable_force', 'ticket'];

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise.catch(() => null),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The accounts served, the configuration's first, with their display names. */
export function accountList(services: ReportServices): { appid: string; name: string }[] {
  return shownAccounts(services).map((a) => ({ appid: a.appid, name: a.name ?? a.appid }));
}

/** The report of one configured account; undefined for an appid the hub does not manage. */
export async function accountReport(
  services: ReportServices,
  activity: ActivityLog,
  appid: string,
): Promise<AccountReport | undefined> {
  const account = shownAccounts(services).find((a) => a.appid === appid);
  if (!account || !services.manager.hasAccount(appid)) return undefined;
  const quotaValues = await Promise.all(
    COUNTERS.map((counter) => withTimeout(services.manager.quotaUsed(appid, counter), QUOTA_TIMEOUT_MS)),
  );
  const quota = Object.fromEntries(COUNTERS.map((c, i) => [c, quotaValues[i] ?? null])) as Record<
    QuotaCounter,
    number | null
  >;
  const now = services.clock.now();
  return {
    appid,
    name: account.name ?? appid,
    tokenMode: account.tokenMode,
    pushMode: account.callback?.mode ?? null,
    dailyBudget: account.dailyBudget,
    now,
    status: services.manager.status(appid),
    quota,
    buckets: activity.buckets(appid, now),
    refreshes: activity.refreshes(appid),
    refreshTally: activity.refreshTally(appid),
    upstreamTally: activity.upstreamTally(appid),
    errors: activity.errors(appid),
  };
}
