import type {
  FollowerChange,
  FollowerCursor,
  FollowerRecord,
  FollowerState,
  FollowerView,
} from './people.js';
import {
  bad,
  checkAppidOpenid,
  checkId,
  checkNullableString,
  checkTime,
  type NullableNum,
  type Num,
  num,
} from './people-rules.js';

/**
 * What every backend does the same way with followers: argument checks, which write wins between
 * a sync and a live change (kept pure, so the memory backend and the SQL agree), and the SQL
 * shared by both dialects.
 */

/** A sync's follower record, checked. */
export function checkFollower(record: FollowerRecord): void {
  if (!record || typeof record !== 'object') throw bad('follower must be an object');
  checkAppidOpenid(record.appid, record.openid);
  checkNullableString('unionid', record.unionid, 128);
  checkTime('subscribeTime', record.subscribeTime, true);
  checkNullableString('subscribeScene', record.subscribeScene, 64);
  if (record.qrScene !== undefined) checkNullableString('qrScene', record.qrScene, 64);
  checkTime('syncedAt', record.syncedAt);
}

/** A live follow change, checked. */
export function checkChange(change: FollowerChange): void {
  if (!change || typeof change !== 'object') throw bad('change must be an object');
  checkAppidOpenid(change.appid, change.openid);
  if (change.subscribe !== 0 && change.subscribe !== 1) throw bad('subscribe must be 0 or 1');
  checkTime('eventTime', change.eventTime, true);
  checkTime('at', change.at);
  if (change.unionid !== undefined) checkNullableString('unionid', change.unionid, 128);
  if (change.follow !== undefined) {
    if (!change.follow || typeof change.follow !== 'object') throw bad('follow must be an object');
    checkTime('follow.time', change.follow.time, true);
    checkNullableString('follow.scene', change.follow.scene, 64);
    checkNullableString('follow.qrScene', change.follow.qrScene, 64);
  }
}

/** `{after, limit}` of `followers.page` with the default limit (100), checked. */
export function followerPageOf(options: { after?: FollowerCursor | null; limit?: number } | undefined): {
  after: FollowerCursor | null;
  limit: number;
} {
  const limit = options?.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw bad('limit must be an integer 1-1000');
  const after = options?.after ?? null;
  if (after !== null) {
    if (typeof after !== 'object') throw bad('after must be a cursor');
    checkTime('after.subscribeTime', after.subscribeTime, true);
    checkId('after.openid', after.openid);
  }
  return { after, limit };
}

/** The cursor after the last row of a page of `limit` when one more row was read. */
export function nextCursor(rows: readonly FollowerView[], limit: number): FollowerCursor | null {
  if (rows.length <= limit) return null;
  const last = rows[limit - 1]!;
  return { subscribeTime: last.subscribeTime, openid: last.openid };
}

/** A follower row as a sync writes it (both SQL backends). */
export interface FollowerRow {
  appid: string;
  openid: string;
  unionid: string | null;
  subscribe_time: NullableNum;
  subscribe_scene: string | null;
  qr_scene: string | null;
  synced_at: Num;
}

/** A follower row as read back: the sync's columns and the live state. */
export interface FollowerStateRow extends FollowerRow {
  subscribe: Num;
  event_time: NullableNum;
  event_at: NullableNum;
}

/** A row of the follower list: a follower joined with the captured profile. */
export interface FollowerViewRow {
  openid: string;
  unionid: string | null;
  subscribe_time: NullableNum;
  nickname: string | null;
  headimgurl: string | null;
  last_login_at: NullableNum;
}

/** A stored row as the record `followers.get` resolves. */
export function followerFromRow(row: FollowerStateRow): FollowerState {
  return {
    appid: row.appid,
    openid: row.openid,
    unionid: row.unionid,
    subscribeTime: num(row.subscribe_time),
    subscribeScene: row.subscribe_scene,
    qrScene: row.qr_scene,
    syncedAt: Number(row.synced_at),
    subscribe: Number(row.subscribe) === 1 ? 1 : 0,
    eventTime: num(row.event_time),
    eventAt: num(row.event_at),
  };
}

/** A sync's record as a row (an absent `qrScene` is null). */
export function followerToRow(r: FollowerRecord): FollowerRow {
  return {
    appid: r.appid,
    openid: r.openid,
    unionid: r.unionid,
    subscribe_time: r.subscribeTime,
    subscribe_scene: r.subscribeScene,
    qr_scene: r.qrScene ?? null,
    synced_at: r.syncedAt,
  };
}

/** A row after a sync's record: the record replaces it, an unknown unionid keeps the row's. */
export function syncedFollower(existing: FollowerState | undefined, r: FollowerRecord): FollowerState {
  return {
    ...followerFromRow({ ...followerToRow(r), subscribe: 1, event_time: null, event_at: null }),
    unionid: r.unionid ?? existing?.unionid ?? null,
    eventTime: existing?.eventTime ?? null,
    eventAt: existing?.eventAt ?? null,
  };
}

/** Whether a sync that started at `syncedAt` may overwrite the row: no live change since it started. */
export function syncMayWrite(
  existing: Pick<FollowerState, 'eventAt'> | undefined,
  syncedAt: number,
): boolean {
  return existing?.eventAt === null || existing?.eventAt === undefined || existing.eventAt < syncedAt;
}

/** Whether a live change wins over the row (see `FollowerChange.eventTime`). */
export function changeWins(
  existing: Pick<FollowerState, 'eventTime'> | undefined,
  change: FollowerChange,
): boolean {
  if (!existing) return true;
  if (change.eventTime === null) return false;
  return existing.eventTime === null || existing.eventTime <= change.eventTime;
}

/** The row after a live change that wins (`changeWins`); a new row has `syncedAt` 0. */
export function changedFollower(existing: FollowerState | undefined, change: FollowerChange): FollowerState {
  return {
    appid: change.appid,
    openid: change.openid,
    unionid: change.unionid ?? existing?.unionid ?? null,
    subscribeTime: change.follow ? change.follow.time : (existing?.subscribeTime ?? null),
    subscribeScene: change.follow ? change.follow.scene : (existing?.subscribeScene ?? null),
    qrScene: change.follow ? change.follow.qrScene : (existing?.qrScene ?? null),
    syncedAt: existing?.syncedAt ?? 0,
    subscribe: change.subscribe,
    eventTime: change.eventTime,
    eventAt: change.at,
  };
}

/** The parameters of `followerApplySql`, in order. */
export function changeParams(change: FollowerChange): unknown[] {
  return [
    change.appid,
    change.openid,
    change.unionid ?? null,
    change.follow?.time ?? null,
    change.follow?.scene ?? null,
    change.follow?.qrScene ?? null,
    change.subscribe,
    change.eventTime,
    change.at,
    change.follow ? 1 : 0,
  ];
}

/**
 * The SQL of `followers.apply` (both dialects), parameters as `changeParams`: an insert for an
 * openid never seen; else an update only when the change wins (`changeWins`).
 */
export function followerApplySql(followers: string, p: (n: number) => string): string {
  return `INSERT INTO ${followers} AS f (appid, openid, unionid, subscribe_time, subscribe_scene, qr_scene,
            synced_at, subscribe, event_time, event_at)
          VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, 0, ${p(7)}, ${p(8)}, ${p(9)})
          ON CONFLICT (appid, openid) DO UPDATE SET
            unionid = COALESCE(excluded.unionid, f.unionid),
            subscribe_time = CASE WHEN ${p(10)} = 1 THEN excluded.subscribe_time ELSE f.subscribe_time END,
            subscribe_scene = CASE WHEN ${p(10)} = 1 THEN excluded.subscribe_scene ELSE f.subscribe_scene END,
            qr_scene = CASE WHEN ${p(10)} = 1 THEN excluded.qr_scene ELSE f.qr_scene END,
            subscribe = excluded.subscribe, event_time = excluded.event_time, event_at = excluded.event_at
          WHERE excluded.event_time IS NOT NULL AND (f.event_time IS NULL OR f.event_time <= excluded.event_time)`;
}

/** The SQL of a sync's upsert of one row (both dialects), skipped for a row changed live since the sync began. */
export function followerUpsertSql(followers: string, values: string): string {
  return `INSERT INTO ${followers} AS f (appid, openid, unionid, subscribe_time, subscribe_scene, qr_scene, synced_at)
          ${values}
          ON CONFLICT (appid, openid) DO UPDATE SET unionid = COALESCE(excluded.unionid, f.unionid),
            subscribe_time = excluded.subscribe_time, subscribe_scene = excluded.subscribe_scene,
            qr_scene = excluded.qr_scene, synced_at = excluded.synced_at, subscribe = 1
          WHERE f.event_at IS NULL OR f.event_at < excluded.synced_at`;
}

/** The SQL of `followers.removeStale` (both dialects): `$1` appid, `$2` the sync's mark. */
export function followerRemoveStaleSql(followers: string, p: (n: number) => string): string {
  return `UPDATE ${followers} SET subscribe = 0
          WHERE appid = ${p(1)} AND subscribe = 1 AND synced_at < ${p(2)}
            AND (event_at IS NULL OR event_at < ${p(2)})`;
}

/** A list row as the `FollowerView` of `followers.list` and `followers.page`. */
export function followerViewFromRow(row: FollowerViewRow): FollowerView {
  return {
    openid: row.openid,
    unionid: row.unionid,
    subscribeTime: num(row.subscribe_time),
    nickname: row.nickname,
    headimgurl: row.headimgurl,
    lastLoginAt: num(row.last_login_at),
  };
}

/** The SQL of the follower list (both dialects): followers left-joined with captured profiles. */
export function followerListSql(
  followers: string,
  identities: string,
  p: (n: number) => string,
  collate = '',
): string {
  return `SELECT f.openid, COALESCE(f.unionid, i.unionid) AS unionid, f.subscribe_time,
                 i.nickname, i.headimgurl, i.last_login_at
          FROM ${followers} f LEFT JOIN ${identities} i ON i.appid = f.appid AND i.openid = f.openid
          WHERE f.appid = ${p(1)} AND f.subscribe = 1
          ORDER BY (f.subscribe_time IS NULL), f.subscribe_time DESC, f.openid${collate}
          LIMIT ${p(2)} OFFSET ${p(3)}`;
}

/** Where a follower page starts: the first page, after a follower with a follow time, or without. */
export type PageStart = 'first' | 'time' | 'null';

/** Which `followerPageSql` serves a cursor, and its parameters after the appid. */
export function pageStart(after: FollowerCursor | null): { start: PageStart; params: unknown[] } {
  if (after === null) return { start: 'first', params: [] };
  if (after.subscribeTime === null) return { start: 'null', params: [after.openid] };
  return { start: 'time', params: [after.subscribeTime, after.openid] };
}

/**
 * The SQL of `followers.page` (both dialects): current followers after a cursor in the order of
 * `followerListSql` (follow time descending, unknown times last, then openid), keyset-paged so
 * rows added meanwhile cannot shift a page. Parameters: appid, the cursor's (per `pageStart`),
 * then the row count. `nullsLast` is what the dialect needs to sort null times last descending.
 * After a cursor, the rest of the order is three index ranges (the cursor's follow time after its
 * openid, earlier follow times, unknown times), each read no further than one page: a page deep
 * in a long list costs what the first one does, where one `OR` filter would scan from the top.
 */
export function followerPageSql(
  followers: string,
  identities: string,
  p: (n: number) => string,
  start: PageStart,
  dialect: { collate: string; nullsLast: string },
): string {
  const { collate, nullsLast } = dialect;
  const limit = p(start === 'first' ? 2 : start === 'null' ? 3 : 4);
  const order = `subscribe_time DESC${nullsLast}, openid${collate}`;
  const range = (name: string, where: string, by = order) =>
    `SELECT * FROM (SELECT appid, openid, unionid, subscribe_time FROM ${followers}
       WHERE appid = ${p(1)} AND subscribe = 1 ${where} ORDER BY ${by} LIMIT ${limit}) AS ${name}`;
  const candidates =
    start === 'first'
      ? range('r', '')
      : start === 'null'
        ? range('r', `AND subscribe_time IS NULL AND openid${collate} > ${p(2)}`, `openid${collate}`)
        : [
            range('same', `AND subscribe_time = ${p(2)} AND openid${collate} > ${p(3)}`, `openid${collate}`),
            range('earlier', `AND subscribe_time < ${p(2)}`),
            range('unknown', 'AND subscribe_time IS NULL', `openid${collate}`),
          ].join('\n       UNION ALL ');
  return `SELECT f.openid, COALESCE(f.unionid, i.unionid) AS unionid, f.subscribe_time,
                 i.nickname, i.headimgurl, i.last_login_at
          FROM (${candidates}) f
          LEFT JOIN ${identities} i ON i.appid = f.appid AND i.openid = f.openid
          ORDER BY f.subscribe_time DESC${nullsLast}, f.openid${collate}
          LIMIT ${limit}`;
}
