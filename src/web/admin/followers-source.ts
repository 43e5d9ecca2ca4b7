import type { Database } from '../../db/index.js';
import type { FollowerSync } from '../../followers/follower-sync.js';

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

/** Where the dashboard reads the follower list (`database.followers.list`). */
export interface FollowersSource {
  list(appid: string, page: { limit: number; offset: number }): Promise<FollowerPage>;
}

/** What "sync now" and the sync status on the dashboard use of the hub's `FollowerSync`. */
export type FollowerSyncControl = Pick<FollowerSync, 'begin' | 'status'>;

/** The followers source of a hub: followers joined with the profiles captured at login. */
export function databaseFollowers(database: Pick<Database, 'followers'>): FollowersSource {
  return { list: (appid, page) => database.followers.list(appid, page) };
}
