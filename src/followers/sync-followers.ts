import type { FollowerRecord } from '../db/index.js';
import type { OAuthSource } from '../oauth/oauth-context.js';
import { type Logger, silentLogger } from '../util/logger.js';

/** What one sync did. */
export interface SyncFollowersResult {
  /** Followers WeChat counts for the account (`total` of `/cgi-bin/user/get`). */
  readonly total: number;
  /** Followers written by this sync. */
  readonly synced: number;
  /** Followers marked unfollowed because they no longer follow (their rows are kept). */
  readonly removed: number;
}

export interface SyncFollowersOptions {
  readonly logger?: Logger;
  /** Stops the walk between WeChat calls (the hub is closing); the sync then removes nothing. */
  readonly signal?: AbortSignal;
  /** Told of each `/cgi-bin/user/get` call, before it is made (WeChat allows 500 a day). */
  readonly onUserGet?: () => void;
}

/**
 * Openids per batchget round: 4 calls of 100 in flight (what `users.batchGet` runs at once), then
 * one database write of at most this many rows. A 10,000-row write holds SQLite, and with it the
 * event loop, for about 100 ms; 400 rows take a few.
 */
const ROWS_PER_WRITE = 400;

/**
 * Syncs an account's follower list into `database.followers`: walks `/cgi-bin/user/get` (10,000
 * openids a page, 500 calls a day) and, for each page, `/cgi-bin/user/info/batchget` in chunks
 * of 100, with the hub's global token (refreshed and retried once on a token error); upserts
 * those still following, a few hundred rows at a time, then marks unfollowed the rows this sync
 * did not see. A sync that fails or is aborted half-way removes nothing (the next one finishes
 * the job). Live changes (pushed follows and unfollows, see `LiveFollowers`) applied after the
 * sync began are newer than its snapshot: the sync leaves those rows alone.
 * Nicknames and avatars are not in these answers since 2021: `followers.list` joins the profiles
 * captured at web login. `source` is the hub's services (`hub.services`), whose login context
 * holds the WeChat clients.
 * @see https://developers.weixin.qq.com/doc/offiaccount/User_Management/Getting_a_User_List.html
 */
export async function syncFollowers(
  source: OAuthSource,
  appid: string,
  options: SyncFollowersOptions = {},
): Promise<SyncFollowersResult> {
  const log = options.logger ?? silentLogger;
  const client = source.login.client(appid);
  const { database, clock } = source.login;
  // Strictly after the previous sync's mark, so a clock that stood still cannot keep stale rows.
  const syncedAt = Math.max(clock.now(), ((await database.followers.lastSyncedAt(appid)) ?? 0) + 1);
  let total = 0;
  let synced = 0;
  let seen = 0;
  let next: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    options.onUserGet?.();
    const page = await client.users.list(next);
    total = page.total;
    const openids = page.data?.openid ?? [];
    for (let i = 0; i < openids.length; i += ROWS_PER_WRITE) {
      options.signal?.throwIfAborted();
      const { user_info_list } = await client.users.batchGet(openids.slice(i, i + ROWS_PER_WRITE));
      const rows: FollowerRecord[] = user_info_list
        .filter((u) => u.subscribe === 1)
        .map((u) => ({
          appid,
          openid: u.openid,
          unionid: u.unionid ?? null,
          subscribeTime: typeof u.subscribe_time === 'number' ? u.subscribe_time * 1000 : null,
          subscribeScene: u.subscribe_scene ?? null,
          qrScene: u.qr_scene_str || (u.qr_scene ? String(u.qr_scene) : null),
          syncedAt,
        }));
      await database.followers.upsert(rows);
      synced += rows.length;
    }
    seen += openids.length;
    if (page.count === 0 || openids.length === 0 || !page.next_openid || seen >= page.total) break;
    next = page.next_openid;
  }
  options.signal?.throwIfAborted();
  const removed = await database.followers.removeStale(appid, syncedAt);
  log.info({ appid, total, synced, removed }, 'followers synced');
  return { total, synced, removed };
}
