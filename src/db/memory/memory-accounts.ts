import type { AccountRecord, AccountTable } from '../database.js';
import { duplicateAccount } from '../db-error.js';
import { checkAccountAppid, checkAccountPatch, checkAccountRecord } from '../validate.js';

/** `accounts` in process memory; `open` throws once the database is closed. */
export function memoryAccounts(open: () => void): AccountTable {
  const rows = new Map<string, AccountRecord>();
  return {
    async insert(record) {
      open();
      checkAccountRecord(record);
      if (rows.has(record.appid)) throw duplicateAccount(record.appid);
      rows.set(record.appid, freeze(record));
    },
    async get(appid) {
      open();
      return rows.get(appid) ?? null;
    },
    async list() {
      open();
      return [...rows.values()].sort((a, b) => a.createdAt - b.createdAt || a.appid.localeCompare(b.appid));
    },
    async update(appid, patch, at) {
      open();
      checkAccountAppid(appid);
      checkAccountPatch(patch);
      const row = rows.get(appid);
      if (!row) return null;
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const next = freeze({ ...row, ...defined, updatedAt: at, version: row.version + 1 });
      rows.set(appid, next);
      return next;
    },
    async delete(appid) {
      open();
      return rows.delete(appid);
    },
  };
}

function freeze(record: AccountRecord): AccountRecord {
  return Object.freeze({
    ...record,
    sealedCallback: record.sealedCallback ?? null,
    returnTo: Object.freeze([...record.returnTo]),
  });
}
