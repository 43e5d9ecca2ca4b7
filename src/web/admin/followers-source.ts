import type { Database } from '../../db/index.js';

/** One follower as the dashboard lists it: null where no profile was captured at a login. */
export interface FollowerRow {
  readonly openid: string;
  readonly unionid: string | null;
  /** Epoch seconds or ms (as the table keeps it). */
  readonly subscribeTime: number | null;
  readonly nickname: string | null;
  readonly headimgurl: string | null;
  readonly lastLoginAt: number | null;
}

export interface FollowerPage {
  readonly total: number;
  readonly rows: readonly FollowerRow[];
}

export interface SyncResult {
  readonly total: number;
  readonly synced: number;
  readonly removed: number;
}

/**
 * Where the dashboard reads the follower list and what "sync now" runs: the followers table
 * (`database.followers.list`) and `syncFollowers` (`/cgi-bin/user/get` + `batchget`).
 */
export interface FollowersSource {
  list(appid: string, page: { limit: number; offset: number }): Promise<FollowerPage>;
  /** Absent: the dashboard shows no "sync now" button. */
  sync?(appid: string): Promise<SyncResult>;
}

/**
 * The followers source of a hub: `database.followers.list` (followers joined with the profiles
 * captured at login) and, for "sync now", `syncFollowers` of src/followers.
 */
export function databaseFollowers(
  database: Pick<Database, 'followers'>,
  sync?: (appid: string) => Promise<SyncResult>,
): FollowersSource {
  return { list: (appid, page) => database.followers.list(appid, page), ...(sync ? { sync } : {}) };
}
