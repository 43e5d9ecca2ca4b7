import type BetterSqlite3 from 'better-sqlite3';
import type { AccountRecord, AccountTable } from '../database.js';
import { duplicateAccount } from '../db-error.js';
import { checkAccountAppid, checkAccountPatch, checkAccountRecord } from '../validate.js';
import type { SqliteRun } from './sqlite-database.js';

interface AccountRow {
  appid: string;
  kind: string;
  name: string | null;
  sealed_secret: string;
  sealed_callback: string | null;
  token_mode: string;
  enabled: number;
  return_to: string;
  created_at: number;
  updated_at: number;
  version: number;
}

/** `accounts` on SQLite; `return_to` is JSON text, `enabled` 0/1. */
export function sqliteAccountTable(db: BetterSqlite3.Database, run: SqliteRun): AccountTable {
  const sql = {
    insert: db.prepare(
      `INSERT INTO accounts (appid, kind, name, sealed_secret, sealed_callback, token_mode, enabled, return_to, created_at, updated_at, version)
       VALUES (@appid, @kind, @name, @sealed_secret, @sealed_callback, @token_mode, @enabled, @return_to, @created_at, @updated_at, @version)`,
    ),
    get: db.prepare('SELECT * FROM accounts WHERE appid = ?'),
    list: db.prepare('SELECT * FROM accounts ORDER BY created_at, appid'),
    // One statement for every patch: a null parameter keeps the column (name and callback are set with their flags).
    update: db.prepare(
      `UPDATE accounts SET
         sealed_secret = COALESCE(@sealed_secret, sealed_secret),
         sealed_callback = CASE WHEN @set_callback = 1 THEN @sealed_callback ELSE sealed_callback END,
         enabled = COALESCE(@enabled, enabled),
         name = CASE WHEN @set_name = 1 THEN @name ELSE name END,
         token_mode = COALESCE(@token_mode, token_mode),
         return_to = COALESCE(@return_to, return_to),
         updated_at = @at,
         version = version + 1
       WHERE appid = @appid RETURNING *`,
    ),
    delete: db.prepare('DELETE FROM accounts WHERE appid = ?'),
  };
  return {
    async insert(record) {
      checkAccountRecord(record);
      await run(() => {
        try {
          sql.insert.run(toRow(record));
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
            throw duplicateAccount(record.appid);
          throw err;
        }
      });
    },
    async get(appid) {
      const row = await run(() => sql.get.get(appid) as AccountRow | undefined);
      return row ? fromRow(row) : null;
    },
    async list() {
      return run(() => (sql.list.all() as AccountRow[]).map(fromRow));
    },
    async update(appid, patch, at) {
      checkAccountAppid(appid);
      checkAccountPatch(patch);
      // all(), not get(): get() leaves an UPDATE ... RETURNING unfinished, its write uncommitted.
      const [row] = await run(
        () =>
          sql.update.all({
            appid,
            at,
            sealed_secret: patch.sealedSecret ?? null,
            set_callback: patch.sealedCallback === undefined ? 0 : 1,
            sealed_callback: patch.sealedCallback ?? null,
            enabled: patch.enabled === undefined ? null : Number(patch.enabled),
            set_name: patch.name === undefined ? 0 : 1,
            name: patch.name ?? null,
            token_mode: patch.tokenMode ?? null,
            return_to: patch.returnTo === undefined ? null : JSON.stringify(patch.returnTo),
          }) as AccountRow[],
      );
      return row ? fromRow(row) : null;
    },
    async delete(appid) {
      return run(() => sql.delete.run(appid).changes === 1);
    },
  };
}

function toRow(r: AccountRecord): AccountRow {
  return {
    appid: r.appid,
    kind: r.kind,
    name: r.name,
    sealed_secret: r.sealedSecret,
    sealed_callback: r.sealedCallback ?? null,
    token_mode: r.tokenMode,
    enabled: Number(r.enabled),
    return_to: JSON.stringify(r.returnTo),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    version: r.version,
  };
}

function fromRow(row: AccountRow): AccountRecord {
  return {
    appid: row.appid,
    kind: row.kind as AccountRecord['kind'],
    name: row.name,
    sealedSecret: row.sealed_secret,
    sealedCallback: row.sealed_callback ?? null,
    tokenMode: row.token_mode as AccountRecord['tokenMode'],
    enabled: row.enabled === 1,
    returnTo: JSON.parse(row.return_to) as string[],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    version: Number(row.version),
  };
}
