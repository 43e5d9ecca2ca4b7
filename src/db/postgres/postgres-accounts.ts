import { driverCode } from '../../sql/driver-error.js';
import type { AccountRecord, AccountTable } from '../database.js';
import { duplicateAccount } from '../db-error.js';
import { checkAccountAppid, checkAccountPatch, checkAccountRecord } from '../validate.js';
import type { PgQuery } from './postgres-database.js';

interface AccountRow {
  appid: string;
  kind: string;
  name: string | null;
  sealed_secret: string;
  sealed_callback: string | null;
  token_mode: string;
  enabled: boolean;
  return_to: string[];
  created_at: string;
  updated_at: string;
  version: number;
}

/** `accounts` on PostgreSQL; `schema` is a validated, quoted identifier. */
export function postgresAccountTable(query: PgQuery, schema: string): AccountTable {
  const table = `${schema}.accounts`;
  return {
    async insert(record) {
      checkAccountRecord(record);
      try {
        await query(
          `INSERT INTO ${table} (appid, kind, name, sealed_secret, token_mode, enabled, return_to, created_at, updated_at, version, sealed_callback)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            record.appid,
            record.kind,
            record.name,
            record.sealedSecret,
            record.tokenMode,
            record.enabled,
            record.returnTo,
            record.createdAt,
            record.updatedAt,
            record.version,
            record.sealedCallback ?? null,
          ],
        );
      } catch (err) {
        if (driverCode(err) === '23505') throw duplicateAccount(record.appid);
        throw err;
      }
    },
    async get(appid) {
      const { rows } = await query<AccountRow>(`SELECT * FROM ${table} WHERE appid = $1`, [appid]);
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async list() {
      const { rows } = await query<AccountRow>(`SELECT * FROM ${table} ORDER BY created_at, appid`, []);
      return rows.map(fromRow);
    },
    async update(appid, patch, at) {
      checkAccountAppid(appid);
      checkAccountPatch(patch);
      const { rows } = await query<AccountRow>(
        `UPDATE ${table} SET
           sealed_secret = COALESCE($2, sealed_secret),
           enabled = COALESCE($3, enabled),
           name = CASE WHEN $4 THEN $5 ELSE name END,
           token_mode = COALESCE($6, token_mode),
           return_to = COALESCE($7, return_to),
           sealed_callback = CASE WHEN $9 THEN $10 ELSE sealed_callback END,
           updated_at = $8,
           version = version + 1
         WHERE appid = $1 RETURNING *`,
        [
          appid,
          patch.sealedSecret ?? null,
          patch.enabled ?? null,
          patch.name !== undefined,
          patch.name ?? null,
          patch.tokenMode ?? null,
          patch.returnTo === undefined ? null : [...patch.returnTo],
          at,
          patch.sealedCallback !== undefined,
          patch.sealedCallback ?? null,
        ],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async delete(appid) {
      const { rowCount } = await query(`DELETE FROM ${table} WHERE appid = $1`, [appid]);
      return rowCount === 1;
    },
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
    enabled: row.enabled,
    returnTo: row.return_to,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    version: Number(row.version),
  };
}
