import type BetterSqlite3 from 'better-sqlite3';
import type { ClientKeyRecord, ClientKeyTable, RateLimit, Scope } from '../database.js';
import { duplicateKey } from '../db-error.js';
import { checkKeyRecord } from '../validate.js';
import type { SqliteRun } from './sqlite-database.js';

interface KeyRow {
  id: string;
  name: string;
  secret_hash: string;
  appids: string;
  scopes: string;
  rate_limit: string | null;
  created_at: number;
  revoked_at: number | null;
}

/** `client_keys` on SQLite; list columns are JSON text. */
export function sqliteKeyTable(db: BetterSqlite3.Database, run: SqliteRun): ClientKeyTable {
  const sql = {
    insert: db.prepare(
      `INSERT INTO client_keys (id, name, secret_hash, appids, scopes, rate_limit, created_at, revoked_at)
       VALUES (@id, @name, @secret_hash, @appids, @scopes, @rate_limit, @created_at, @revoked_at)`,
    ),
    get: db.prepare('SELECT * FROM client_keys WHERE id = ?'),
    list: db.prepare('SELECT * FROM client_keys ORDER BY created_at, id'),
    revoke: db.prepare('UPDATE client_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
  };
  return {
    async insert(record) {
      checkKeyRecord(record);
      await run(() => {
        try {
          sql.insert.run(toRow(record));
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
            throw duplicateKey(record.id);
          throw err;
        }
      });
    },
    async get(id) {
      const row = await run(() => sql.get.get(id) as KeyRow | undefined);
      return row ? fromRow(row) : null;
    },
    async list() {
      return run(() => (sql.list.all() as KeyRow[]).map(fromRow));
    },
    async revoke(id, at) {
      return run(() => sql.revoke.run(at, id).changes === 1);
    },
  };
}

function toRow(r: ClientKeyRecord): KeyRow {
  return {
    id: r.id,
    name: r.name,
    secret_hash: r.secretHash,
    appids: JSON.stringify(r.appids),
    scopes: JSON.stringify(r.scopes),
    rate_limit: r.rateLimit ? JSON.stringify(r.rateLimit) : null,
    created_at: r.createdAt,
    revoked_at: r.revokedAt,
  };
}

function fromRow(row: KeyRow): ClientKeyRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    appids: JSON.parse(row.appids) as string[],
    scopes: JSON.parse(row.scopes) as Scope[],
    rateLimit: row.rate_limit ? (JSON.parse(row.rate_limit) as RateLimit) : null,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
