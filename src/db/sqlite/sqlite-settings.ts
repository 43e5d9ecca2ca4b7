import type BetterSqlite3 from 'better-sqlite3';
import type { SettingsTable } from '../database.js';
import { checkSettingName, checkSettingValue } from '../validate.js';
import type { SqliteRun } from './sqlite-database.js';

/** `hub_settings` on SQLite; the write lock of `BEGIN IMMEDIATE` makes putIfAbsent atomic across processes. */
export function sqliteSettingsTable(db: BetterSqlite3.Database, run: SqliteRun): SettingsTable {
  const sql = {
    get: db.prepare('SELECT value FROM hub_settings WHERE name = ?').pluck(),
    insert: db.prepare('INSERT OR IGNORE INTO hub_settings (name, value, updated_at) VALUES (?, ?, ?)'),
    cas: db.prepare('UPDATE hub_settings SET value = ?, updated_at = ? WHERE name = ? AND value = ?'),
  };
  const putIfAbsent = db.transaction((name: string, value: string) => {
    sql.insert.run(name, value, Date.now());
    return sql.get.get(name) as string;
  });
  return {
    async get(name) {
      checkSettingName(name);
      return run(() => (sql.get.get(name) as string | undefined) ?? null);
    },
    async putIfAbsent(name, value) {
      checkSettingName(name);
      checkSettingValue(value);
      return run(() => putIfAbsent.immediate(name, value));
    },
    async compareAndSet(name, expected, value) {
      checkSettingName(name);
      checkSettingValue(value);
      return run(() => sql.cas.run(value, Date.now(), name, expected).changes === 1);
    },
  };
}
