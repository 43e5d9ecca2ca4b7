import { driverCode } from '../../sql/driver-error.js';
import {
  changeParams,
  checkChange,
  checkFollower,
  type FollowerStateRow,
  type FollowerViewRow,
  followerApplySql,
  followerFromRow,
  followerListSql,
  followerPageOf,
  followerPageSql,
  followerRemoveStaleSql,
  followerUpsertSql,
  followerViewFromRow,
  nextCursor,
  pageStart,
} from '../follower-rules.js';
import type {
  BindResult,
  FollowerRecord,
  FollowerTable,
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
  type UserRow,
  userFromRow,
} from '../people-rules.js';
import type { PgQuery, PgTransaction } from './postgres-database.js';

/** A lost race: unique violation, serialization failure, deadlock. */
const RETRYABLE = new Set(['23505', '40001', '40P01']);
/** Rows per follower upsert statement. */
const UPSERT_CHUNK = 1000;
/** Code-unit order for openids, whatever the database's default collation (as SQLite and memory sort). */
const BINARY = ' COLLATE "C"';
/** PostgreSQL sorts nulls first in a descending order: unknown follow times go last, as elsewhere. */
const PG_ORDER = { collate: BINARY, nullsLast: ' NULLS LAST' };
const numbered = (n: number) => `$${n}`;

/**
 * `users`, `identities` and `followers` on PostgreSQL; `schema` is a validated, quoted
 * identifier. A bind is one READ COMMITTED transaction that locks the identity row it reads;
 * two first logins racing on one unionid (or one openid) meet at a unique index: the loser's
 * insert fails with 23505 and its retry finds the winner's user.
 */
export function postgresPeople(
  query: PgQuery,
  transaction: PgTransaction,
  schema: string,
): { users: UserTable; identities: IdentityTable; followers: FollowerTable } {
  const users = `${schema}.users`;
  const identities = `${schema}.identities`;
  const followers = `${schema}.followers`;
  const insertIdentity = `INSERT INTO ${identities} (${IDENTITY_COLUMNS.join(', ')})
    VALUES (${IDENTITY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
  const replaceIdentity = `UPDATE ${identities} SET ${IDENTITY_COLUMNS.slice(2)
    .map((c, i) => `${c} = $${i + 3}`)
    .join(', ')} WHERE appid = $1 AND openid = $2`;
  const identityValues = (row: IdentityRow) => IDENTITY_COLUMNS.map((c) => row[c]);

  const claim = async (q: PgQuery, user: UserRecord, unionid: string | null): Promise<UserRecord> => {
    if (user.unionid !== null || unionid === null) return user;
    const { rowCount } = await q(
      `UPDATE ${users} SET unionid = $1 WHERE id = $2 AND unionid IS NULL
       AND NOT EXISTS (SELECT 1 FROM ${users} WHERE unionid = $1)`,
      [unionid, user.id],
    );
    return rowCount === 1 ? { ...user, unionid } : user;
  };

  const bindOnce = (login: LoginInput): Promise<BindResult> =>
    transaction(async (q) => {
      const found = await q<IdentityRow>(
        `SELECT * FROM ${identities} WHERE appid = $1 AND openid = $2 FOR UPDATE`,
        [login.appid, login.openid],
      );
      if (found.rows[0]) {
        const identity = nextIdentity(identityFromRow(found.rows[0]), login);
        await q(replaceIdentity, identityValues(identityToRow(identity)));
        const owner = await q<UserRow>(`SELECT * FROM ${users} WHERE id = $1`, [identity.userId]);
        const user = await claim(q, userFromRow(owner.rows[0]!), identity.unionid);
        return { user, identity, isNew: false };
      }
      if (login.unionid !== null) {
        let known = (await q<UserRow>(`SELECT * FROM ${users} WHERE unionid = $1`, [login.unionid])).rows[0];
        known ??= (
          await q<UserRow>(
            `SELECT u.* FROM ${identities} i JOIN ${users} u ON u.id = i.user_id
             WHERE i.unionid = $1 ORDER BY i.first_login_at LIMIT 1`,
            [login.unionid],
          )
        ).rows[0];
        if (known) {
          const identity = firstIdentity(login, known.id);
          await q(insertIdentity, identityValues(identityToRow(identity)));
          return { user: await claim(q, userFromRow(known), login.unionid), identity, isNew: false };
        }
      }
      const user: UserRecord = { id: newUserId(), unionid: login.unionid, createdAt: login.at };
      await q(`INSERT INTO ${users} (id, unionid, created_at) VALUES ($1, $2, $3)`, [
        user.id,
        user.unionid,
        user.createdAt,
      ]);
      const identity = firstIdentity(login, user.id);
      await q(insertIdentity, identityValues(identityToRow(identity)));
      return { user, identity, isNew: true };
    });

  return {
    users: {
      async get(id) {
        const { rows } = await query<UserRow>(`SELECT * FROM ${users} WHERE id = $1`, [id]);
        return rows[0] ? userFromRow(rows[0]) : null;
      },
      async getByUnionid(unionid) {
        const { rows } = await query<UserRow>(`SELECT * FROM ${users} WHERE unionid = $1`, [unionid]);
        return rows[0] ? userFromRow(rows[0]) : null;
      },
    },
    identities: {
      async get(appid, openid) {
        const { rows } = await query<IdentityRow>(
          `SELECT * FROM ${identities} WHERE appid = $1 AND openid = $2`,
          [appid, openid],
        );
        return rows[0] ? identityFromRow(rows[0]) : null;
      },
      async list(appid, page) {
        const { limit, offset } = pageOf(page);
        const [count, list] = await Promise.all([
          query<{ n: string }>(`SELECT count(*) AS n FROM ${identities} WHERE appid = $1`, [appid]),
          query<IdentityRow>(
            `SELECT * FROM ${identities} WHERE appid = $1
             ORDER BY last_login_at DESC, openid${BINARY} LIMIT $2 OFFSET $3`,
            [appid, limit, offset],
          ),
        ]);
        return { total: Number(count.rows[0]?.n ?? 0), rows: list.rows.map(identityFromRow) };
      },
      async listByUser(userId) {
        const { rows } = await query<IdentityRow>(
          `SELECT * FROM ${identities} WHERE user_id = $1 ORDER BY first_login_at, appid${BINARY}`,
          [userId],
        );
        return rows.map(identityFromRow);
      },
      async bind(login) {
        checkLogin(login);
        for (let attempt = 1; ; attempt++) {
          try {
            return await bindOnce(login);
          } catch (err) {
            const code = driverCode(err) ?? '';
            if (!RETRYABLE.has(code) || attempt >= BIND_ATTEMPTS) throw err;
          }
        }
      },
      async update(appid, openid, patch) {
        checkAppidOpenid(appid, openid);
        const keys = checkPatch(patch);
        if (keys.length === 0) {
          const { rows } = await query<IdentityRow>(
            `SELECT * FROM ${identities} WHERE appid = $1 AND openid = $2`,
            [appid, openid],
          );
          return rows[0] ? identityFromRow(rows[0]) : null;
        }
        const sets = keys.map((k, i) => `${PATCH_COLUMNS[k]} = $${i + 3}`).join(', ');
        const { rows } = await query<IdentityRow>(
          `UPDATE ${identities} SET ${sets} WHERE appid = $1 AND openid = $2 RETURNING *`,
          [appid, openid, ...keys.map((k) => patch[k] ?? null)],
        );
        return rows[0] ? identityFromRow(rows[0]) : null;
      },
    },
    followers: {
      async upsert(records) {
        for (const r of records) checkFollower(r);
        // One statement may not touch a row twice: the last record of a key wins.
        const unique = [...new Map(records.map((r) => [`${r.appid}\n${r.openid}`, r])).values()];
        for (let i = 0; i < unique.length; i += UPSERT_CHUNK) {
          const chunk: FollowerRecord[] = unique.slice(i, i + UPSERT_CHUNK);
          await query(
            followerUpsertSql(
              followers,
              `SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                 $7::bigint[])`,
            ),
            [
              chunk.map((r) => r.appid),
              chunk.map((r) => r.openid),
              chunk.map((r) => r.unionid),
              chunk.map((r) => r.subscribeTime),
              chunk.map((r) => r.subscribeScene),
              chunk.map((r) => r.qrScene ?? null),
              chunk.map((r) => r.syncedAt),
            ],
          );
        }
      },
      async removeStale(appid, syncedAt) {
        const { rowCount } = await query(followerRemoveStaleSql(followers, numbered), [appid, syncedAt]);
        return rowCount ?? 0;
      },
      async apply(change) {
        checkChange(change);
        const { rowCount } = await query(followerApplySql(followers, numbered), changeParams(change));
        return rowCount === 1;
      },
      async lastSyncedAt(appid) {
        const { rows } = await query<{ last: string | null }>(
          `SELECT max(synced_at) AS last FROM ${followers} WHERE appid = $1 AND synced_at > 0`,
          [appid],
        );
        const last = rows[0]?.last;
        return last === null || last === undefined ? null : Number(last);
      },
      async get(appid, openid) {
        const { rows } = await query<FollowerStateRow>(
          `SELECT * FROM ${followers} WHERE appid = $1 AND openid = $2 AND subscribe = 1`,
          [appid, openid],
        );
        return rows[0] ? followerFromRow(rows[0]) : null;
      },
      async state(appid, openid) {
        const { rows } = await query<FollowerStateRow>(
          `SELECT * FROM ${followers} WHERE appid = $1 AND openid = $2`,
          [appid, openid],
        );
        return rows[0] ? followerFromRow(rows[0]) : null;
      },
      async list(appid, page) {
        const { limit, offset } = pageOf(page);
        const [count, list] = await Promise.all([
          query<{ n: string }>(`SELECT count(*) AS n FROM ${followers} WHERE appid = $1 AND subscribe = 1`, [
            appid,
          ]),
          query<FollowerViewRow>(
            followerListSql(followers, identities, (n) => `$${n}`, BINARY),
            [appid, limit, offset],
          ),
        ]);
        return { total: Number(count.rows[0]?.n ?? 0), rows: list.rows.map(followerViewFromRow) };
      },
      async page(appid, options) {
        const { after, limit } = followerPageOf(options);
        const { start, params } = pageStart(after);
        const { rows } = await query<FollowerViewRow>(
          followerPageSql(followers, identities, numbered, start, PG_ORDER),
          [appid, ...params, limit + 1],
        );
        const views = rows.map(followerViewFromRow);
        return { rows: views.slice(0, limit), next: nextCursor(views, limit) };
      },
    },
  };
}
