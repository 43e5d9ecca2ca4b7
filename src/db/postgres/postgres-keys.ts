import { driverCode } from '../../sql/driver-error.js';
import type { ClientKeyRecord, ClientKeyTable, RateLimit, Scope } from '../database.js';
import { duplicateKey } from '../db-error.js';
import { checkKeyRecord } from '../validate.js';
import type { PgQuery } from './postgres-database.js';

interface KeyRow {
  id: string;
  name: string;
  secret_hash: string;
  appids: string[];
  scopes: string[];
  rate_limit: RateLimit | null;
  created_at: string;
  revoked_at: string | null;
}

/** `client_keys` on PostgreSQL; `schema` is a validated, quoted identifier. */
export function postgresKeyTable(query: PgQuery, schema: string): ClientKeyTable {
  const table = `${schema}.client_keys`;
  return {
    async insert(record) {
      checkKeyRecord(record);
      try {
        await query(
          `INSERT INTO ${table} (id, name, secret_hash, appids, scopes, rate_limit, created_at, revoked_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            record.id,
            record.name,
            record.secretHash,
            record.appids,
            record.scopes,
            record.rateLimit ? JSON.stringify(record.rateLimit) : null,
            record.createdAt,
            record.revokedAt,
          ],
        );
      } catch (err) {
        if (driverCode(err) === '23505') throw duplicateKey(record.id);
        throw err;
      }
    },
    async get(id) {
      const { rows } = await query<KeyRow>(`SELECT * FROM ${table} WHERE id = $1`, [id]);
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async list() {
      const { rows } = await query<KeyRow>(`SELECT * FROM ${table} ORDER BY created_at, id`, []);
      return rows.map(fromRow);
    },
    async revoke(id, at) {
      const { rowCount } = await query(
        `UPDATE ${table} SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
        [at, id],
      );
      return rowCount === 1;
    },
  };
}

function fromRow(row: KeyRow): ClientKeyRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    appids: row.appids,
    scopes: row.scopes as Scope[],
    rateLimit: row.rate_limit,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
