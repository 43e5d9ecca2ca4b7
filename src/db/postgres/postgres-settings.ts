import type { SettingsTable } from '../database.js';
import { checkSettingName, checkSettingValue } from '../validate.js';
import type { PgQuery } from './postgres-database.js';

/** `hub_settings` on PostgreSQL; `schema` is a validated, quoted identifier. */
export function postgresSettingsTable(query: PgQuery, schema: string): SettingsTable {
  const table = `${schema}.hub_settings`;
  return {
    async get(name) {
      checkSettingName(name);
      const { rows } = await query<{ value: string }>(`SELECT value FROM ${table} WHERE name = $1`, [name]);
      return rows[0]?.value ?? null;
    },
    async putIfAbsent(name, value) {
      checkSettingName(name);
      checkSettingValue(value);
      // A no-op update on conflict returns the row that won, in one statement.
      const { rows } = await query<{ value: string }>(
        `INSERT INTO ${table} (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING value`,
        [name, value],
      );
      return rows[0]!.value;
    },
    async compareAndSet(name, expected, value) {
      checkSettingName(name);
      checkSettingValue(value);
      const { rowCount } = await query(
        `UPDATE ${table} SET value = $1, updated_at = now() WHERE name = $2 AND value = $3`,
        [value, name, expected],
      );
      return rowCount === 1;
    },
  };
}
