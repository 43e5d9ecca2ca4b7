import {
  changedFollower,
  changeWins,
  checkChange,
  checkFollower,
  followerPageOf,
  nextCursor,
  syncedFollower,
  syncMayWrite,
} from '../follower-rules.js';
import type {
  FollowerState,
  FollowerTable,
  FollowerView,
  IdentityRecord,
  IdentityTable,
  UserRecord,
  UserTable,
} from '../people.js';
import {
  checkAppidOpenid,
  checkLogin,
  checkPatch,
  firstIdentity,
  newUserId,
  nextIdentity,
  pageOf,
  patched,
} from '../people-rules.js';

/**
 * Users, identities and followers in process memory. Every method runs to completion without an
 * await in the middle, so a bind is atomic here without a lock.
 */
export function memoryPeople(open: () => void): {
  users: UserTable;
  identities: IdentityTable;
  followers: FollowerTable;
} {
  const users = new Map<string, UserRecord>();
  const usersByUnionid = new Map<string, string>();
  const identities = new Map<string, IdentityRecord>();
  const followers = new Map<string, Map<string, FollowerState>>();
  const key = (appid: string, openid: string) => `${appid}\n${openid}`;
  // Code-unit order, as the SQL backends' binary (SQLite) and "C" (PostgreSQL) collations sort.
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

  const followersOf = (appid: string): Map<string, FollowerState> => {
    let of = followers.get(appid);
    if (!of) {
      of = new Map();
      followers.set(appid, of);
    }
    return of;
  };
  // Latest follow first, unknown times last, then openid: the SQL backends' order.
  const followerOrder = (a: FollowerState, b: FollowerState) =>
    (a.subscribeTime === null ? 1 : 0) - (b.subscribeTime === null ? 1 : 0) ||
    (b.subscribeTime ?? 0) - (a.subscribeTime ?? 0) ||
    cmp(a.openid, b.openid);
  const current = (appid: string) =>
    [...(followers.get(appid)?.values() ?? [])].filter((f) => f.subscribe === 1).sort(followerOrder);
  const view = (appid: string, f: FollowerState): FollowerView => {
    const identity = identities.get(key(appid, f.openid));
    return {
      openid: f.openid,
      unionid: f.unionid ?? identity?.unionid ?? null,
      subscribeTime: f.subscribeTime,
      nickname: identity?.nickname ?? null,
      headimgurl: identity?.headimgurl ?? null,
      lastLoginAt: identity?.lastLoginAt ?? null,
    };
  };

  const userForUnionid = (unionid: string): UserRecord | undefined => {
    const id = usersByUnionid.get(unionid);
    if (id) return users.get(id);
    for (const identity of identities.values())
      if (identity.unionid === unionid) return users.get(identity.userId);
    return undefined;
  };
  const claimUnionid = (user: UserRecord, unionid: string | null): UserRecord => {
    if (user.unionid !== null || unionid === null || usersByUnionid.has(unionid)) return user;
    const next = Object.freeze({ ...user, unionid });
    users.set(user.id, next);
    usersByUnionid.set(unionid, user.id);
    return next;
  };

  return {
    users: {
      get: async (id) => {
        open();
        return users.get(id) ?? null;
      },
      getByUnionid: async (unionid) => {
        open();
        const id = usersByUnionid.get(unionid);
        return id ? (users.get(id) ?? null) : null;
      },
    },
    identities: {
      get: async (appid, openid) => {
        open();
        return identities.get(key(appid, openid)) ?? null;
      },
      list: async (appid, page) => {
        open();
        const { limit, offset } = pageOf(page);
        const all = [...identities.values()]
          .filter((i) => i.appid === appid)
          .sort((a, b) => b.lastLoginAt - a.lastLoginAt || cmp(a.openid, b.openid));
        return { total: all.length, rows: all.slice(offset, offset + limit) };
      },
      listByUser: async (userId) => {
        open();
        return [...identities.values()]
          .filter((i) => i.userId === userId)
          .sort((a, b) => a.firstLoginAt - b.firstLoginAt || cmp(a.appid, b.appid));
      },
      bind: async (login) => {
        open();
        checkLogin(login);
        const k = key(login.appid, login.openid);
        const existing = identities.get(k);
        if (existing) {
          const identity = Object.freeze(nextIdentity(existing, login));
          identities.set(k, identity);
          const user = claimUnionid(users.get(existing.userId)!, identity.unionid);
          return { user, identity, isNew: false };
        }
        const known = login.unionid === null ? undefined : userForUnionid(login.unionid);
        if (known) {
          const identity = Object.freeze(firstIdentity(login, known.id));
          identities.set(k, identity);
          return { user: claimUnionid(known, login.unionid), identity, isNew: false };
        }
        const user = Object.freeze({ id: newUserId(), unionid: login.unionid, createdAt: login.at });
        users.set(user.id, user);
        if (user.unionid !== null) usersByUnionid.set(user.unionid, user.id);
        const identity = Object.freeze(firstIdentity(login, user.id));
        identities.set(k, identity);
        return { user, identity, isNew: true };
      },
      update: async (appid, openid, patch) => {
        open();
        checkAppidOpenid(appid, openid);
        checkPatch(patch);
        const existing = identities.get(key(appid, openid));
        if (!existing) return null;
        const next = Object.freeze(patched(existing, patch));
        identities.set(key(appid, openid), next);
        return next;
      },
    },
    followers: {
      upsert: async (records) => {
        open();
        for (const r of records) checkFollower(r);
        for (const r of records) {
          const of = followersOf(r.appid);
          const existing = of.get(r.openid);
          if (syncMayWrite(existing, r.syncedAt))
            of.set(r.openid, Object.freeze(syncedFollower(existing, r)));
        }
      },
      removeStale: async (appid, syncedAt) => {
        open();
        const of = followers.get(appid);
        let removed = 0;
        for (const [openid, r] of of ?? []) {
          if (r.subscribe === 1 && r.syncedAt < syncedAt && syncMayWrite(r, syncedAt)) {
            of!.set(openid, Object.freeze({ ...r, subscribe: 0 }));
            removed++;
          }
        }
        return removed;
      },
      lastSyncedAt: async (appid) => {
        open();
        let last = 0;
        for (const r of followers.get(appid)?.values() ?? []) last = Math.max(last, r.syncedAt);
        return last > 0 ? last : null;
      },
      get: async (appid, openid) => {
        open();
        const row = followers.get(appid)?.get(openid);
        return row?.subscribe === 1 ? row : null;
      },
      state: async (appid, openid) => {
        open();
        return followers.get(appid)?.get(openid) ?? null;
      },
      apply: async (change) => {
        open();
        checkChange(change);
        const of = followersOf(change.appid);
        const existing = of.get(change.openid);
        if (!changeWins(existing, change)) return false;
        of.set(change.openid, Object.freeze(changedFollower(existing, change)));
        return true;
      },
      list: async (appid, page) => {
        open();
        const { limit, offset } = pageOf(page);
        const all = current(appid);
        return { total: all.length, rows: all.slice(offset, offset + limit).map((f) => view(appid, f)) };
      },
      page: async (appid, options) => {
        open();
        const { after, limit } = followerPageOf(options);
        const all = current(appid);
        const from =
          after === null
            ? 0
            : all.findIndex(
                (f) =>
                  followerOrder(f, { ...f, subscribeTime: after.subscribeTime, openid: after.openid }) > 0,
              );
        const rows = (from === -1 ? [] : all.slice(from, from + limit + 1)).map((f) => view(appid, f));
        return { rows: rows.slice(0, limit), next: nextCursor(rows, limit) };
      },
    },
  };
}
