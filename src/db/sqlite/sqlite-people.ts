import type BetterSqlite3 from 'better-sqlite3';
import {
  changeParams,
  checkChange,
  checkFollower,
  type FollowerRow,
  type FollowerStateRow,
  type FollowerViewRow,
  followerApplySql,
  followerFromRow,
  followerListSql,
  followerPageOf,
  followerPageSql,
  followerRemoveStaleSql,
  followerToRow,
  followerUpsertSql,
  followerViewFromRow,
  nextCursor,
  type PageStart,
  pageStart,
} from '../follower-rules.js';
import type {
  BindResult,
  FollowerTable,
  IdentityRecord,
  IdentityTable,
  LoginInput,
  UserRecord,
  UserTable,
} from '../people.js';
import {
  BIND_ATTEMPTS,
  checkAppidOpenid,
  checkLogin,
  checkPatch,
  firstIdentity,
  IDENTITY_COLUMNS,
  type IdentityRow,
  identityFromRow,
  identityToRow,
  newUserId,
  nextIdentity,
  PATCH_COLUMNS,
  pageOf,
  patched,
  type UserRow,
  userFromRow,
} from '../people-rules.js';
import type { SqliteRun } from './sqlite-database.js';

/** Numbered parameters as better-sqlite3 binds them by name: `@p1`, `@p2`, ... */
const named = (n: number) => `@p${n}`;
const params = (values: readonly unknown[]) => Object.fromEntries(values.map((v, i) => [`p${i + 1}`, v]));
/** SQLite sorts nulls lowest, so last in a descending order; openids in binary order. */
const SQLITE_ORDER = { collate: '', nullsLast: '' };

/**
 * `users`, `identities` and `followers` on SQLite. A bind is one `BEGIN IMMEDIATE` transaction:
 * it holds the file's write lock from its first read, so processes sharing the file bind one at
 * a time and a unionid cannot be claimed twice.
 */
export function sqlitePeople(
  db: BetterSqlite3.Database,
  run: SqliteRun,
): { users: UserTable; identities: IdentityTable; followers: FollowerTable } {
  const sql = {
    user: db.prepare('SELECT * FROM users WHERE id = ?'),
    userByUnionid: db.prepare('SELECT * FROM users WHERE unionid = ?'),
    userOfIdentityUnionid: db.prepare(
      'SELECT u.* FROM identities i JOIN users u ON u.id = i.user_id WHERE i.unionid = ? ORDER BY i.first_login_at LIMIT 1',
    ),
    insertUser: db.prepare('INSERT INTO users (id, unionid, created_at) VALUES (?, ?, ?)'),
    claimUnionid: db.prepare(
      'UPDATE users SET unionid = ? WHERE id = ? AND unionid IS NULL AND NOT EXISTS (SELECT 1 FROM users WHERE unionid = ?)',
    ),
    identity: db.prepare('SELECT * FROM identities WHERE appid = ? AND openid = ?'),
    identities: db.prepare(
      'SELECT * FROM identities WHERE appid = ? ORDER BY last_login_at DESC, openid LIMIT ? OFFSET ?',
    ),
    identityCount: db.prepare('SELECT count(*) FROM identities WHERE appid = ?').pluck(),
    identitiesOfUser: db.prepare('SELECT * FROM identities WHERE user_id = ? ORDER BY first_login_at, appid'),
    insertIdentity: db.prepare(
      `INSERT INTO identities (${IDENTITY_COLUMNS.join(', ')}) VALUES (${IDENTITY_COLUMNS.map((c) => `@${c}`).join(', ')})`,
    ),
    replaceIdentity: db.prepare(
      `UPDATE identities SET ${IDENTITY_COLUMNS.slice(2)
        .map((c) => `${c} = @${c}`)
        .join(', ')} WHERE appid = @appid AND openid = @openid`,
    ),
    upsertFollower: db.prepare(
      followerUpsertSql(
        'followers',
        'VALUES (@appid, @openid, @unionid, @subscribe_time, @subscribe_scene, @qr_scene, @synced_at)',
      ),
    ),
    applyFollower: db.prepare(followerApplySql('followers', named)),
    removeStale: db.prepare(followerRemoveStaleSql('followers', named)),
    lastSynced: db.prepare('SELECT max(synced_at) FROM followers WHERE appid = ? AND synced_at > 0').pluck(),
    follower: db.prepare('SELECT * FROM followers WHERE appid = ? AND openid = ? AND subscribe = 1'),
    followerState: db.prepare('SELECT * FROM followers WHERE appid = ? AND openid = ?'),
    followerCount: db.prepare('SELECT count(*) FROM followers WHERE appid = ? AND subscribe = 1').pluck(),
    followerList: db.prepare(followerListSql('followers', 'identities', () => '?')),
    followerPage: Object.fromEntries(
      (['first', 'time', 'null'] as const).map((start) => [
        start,
        db.prepare(followerPageSql('followers', 'identities', named, start, SQLITE_ORDER)),
      ]),
    ) as Record<PageStart, BetterSqlite3.Statement>,
  };

  const readUser = (id: string) => {
    const row = sql.user.get(id) as UserRow | undefined;
    return row ? userFromRow(row) : undefined;
  };
  const claim = (user: UserRecord, unionid: string | null): UserRecord => {
    if (user.unionid !== null || unionid === null) return user;
    return sql.claimUnionid.run(unionid, user.id, unionid).changes === 1 ? { ...user, unionid } : user;
  };

  const bindOnce = db.transaction((login: LoginInput): BindResult => {
    const row = sql.identity.get(login.appid, login.openid) as IdentityRow | undefined;
    if (row) {
      const identity = nextIdentity(identityFromRow(row), login);
      sql.replaceIdentity.run(identityToRow(identity));
      return { user: claim(readUser(identity.userId)!, identity.unionid), identity, isNew: false };
    }
    if (login.unionid !== null) {
      const known = (sql.userByUnionid.get(login.unionid) ?? sql.userOfIdentityUnionid.get(login.unionid)) as
        | UserRow
        | undefined;
      if (known) {
        const identity = firstIdentity(login, known.id);
        sql.insertIdentity.run(identityToRow(identity));
        return { user: claim(userFromRow(known), login.unionid), identity, isNew: false };
      }
    }
    const user: UserRecord = { id: newUserId(), unionid: login.unionid, createdAt: login.at };
    sql.insertUser.run(user.id, user.unionid, user.createdAt);
    const identity = firstIdentity(login, user.id);
    sql.insertIdentity.run(identityToRow(identity));
    return { user, identity, isNew: true };
  });

  const upsertFollowers = db.transaction((rows: FollowerRow[]) => {
    for (const row of rows) sql.upsertFollower.run(row);
  });

  const updates = new Map<string, BetterSqlite3.Statement>();
  const updateStatement = (columns: readonly string[]) => {
    const text = `UPDATE identities SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE appid = ? AND openid = ?`;
    let statement = updates.get(text);
    if (!statement) {
      statement = db.prepare(text);
      updates.set(text, statement);
    }
    return statement;
  };

  return {
    users: {
      async get(id) {
        return run(() => readUser(id) ?? null);
      },
      async getByUnionid(unionid) {
        const row = await run(() => sql.userByUnionid.get(unionid) as UserRow | undefined);
        return row ? userFromRow(row) : null;
      },
    },
    identities: {
      async get(appid, openid) {
        const row = await run(() => sql.identity.get(appid, openid) as IdentityRow | undefined);
        return row ? identityFromRow(row) : null;
      },
      async list(appid, page) {
        const { limit, offset } = pageOf(page);
        return run(() => ({
          total: Number(sql.identityCount.get(appid)),
          rows: (sql.identities.all(appid, limit, offset) as IdentityRow[]).map(identityFromRow),
        }));
      },
      async listByUser(userId) {
        return run(() => (sql.identitiesOfUser.all(userId) as IdentityRow[]).map(identityFromRow));
      },
      async bind(login) {
        checkLogin(login);
        return run(() => {
          for (let attempt = 1; ; attempt++) {
            try {
              return bindOnce.immediate(login);
            } catch (err) {
              const code = (err as { code?: string }).code ?? '';
              if (!code.startsWith('SQLITE_CONSTRAINT') || attempt >= BIND_ATTEMPTS) throw err;
            }
          }
        });
      },
      async update(appid, openid, patch) {
        checkAppidOpenid(appid, openid);
        const keys = checkPatch(patch);
        return run(() => {
          const row = sql.identity.get(appid, openid) as IdentityRow | undefined;
          if (!row) return null;
          if (keys.length > 0) {
            const values = keys.map((k) => patch[k] ?? null);
            updateStatement(keys.map((k) => PATCH_COLUMNS[k])).run(...values, appid, openid);
          }
          return patched(identityFromRow(row), patch) as IdentityRecord;
        });
      },
    },
    followers: {
      async upsert(records) {
        for (const r of records) checkFollower(r);
        const rows = records.map(followerToRow);
        await run(() => upsertFollowers.immediate(rows));
      },
      async removeStale(appid, syncedAt) {
        return run(() => sql.removeStale.run(params([appid, syncedAt])).changes);
      },
      async apply(change) {
        checkChange(change);
        return run(() => sql.applyFollower.run(params(changeParams(change))).changes === 1);
      },
      async lastSyncedAt(appid) {
        const value = await run(() => sql.lastSynced.get(appid) as number | null);
        return value === null || value === undefined ? null : Number(value);
      },
      async get(appid, openid) {
        const row = await run(() => sql.follower.get(appid, openid) as FollowerStateRow | undefined);
        return row ? followerFromRow(row) : null;
      },
      async state(appid, openid) {
        const row = await run(() => sql.followerState.get(appid, openid) as FollowerStateRow | undefined);
        return row ? followerFromRow(row) : null;
      },
      async list(appid, page) {
        const { limit, offset } = pageOf(page);
        return run(() => ({
          total: Number(sql.followerCount.get(appid)),
          rows: (sql.followerList.all(appid, limit, offset) as FollowerViewRow[]).map(followerViewFromRow),
        }));
      },
      async page(appid, options) {
        const { after, limit } = followerPageOf(options);
        const { start, params: cursor } = pageStart(after);
        const rows = await run(() =>
          (sql.followerPage[start].all(params([appid, ...cursor, limit + 1])) as FollowerViewRow[]).map(
            followerViewFromRow,
          ),
        );
        return { rows: rows.slice(0, limit), next: nextCursor(rows, limit) };
      },
    },
  };
}
