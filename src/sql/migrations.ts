import { WxhubError } from '../errors/index.js';

/**
 * One schema step. `id` is recorded in the `schema_migrations` table once applied, so it must
 * never change; give each component its own prefix (`store_0001_core`, `db_0001_...`) and
 * append new steps at the end of its list. `sql` may hold several statements.
 */
export interface Migration {
  readonly id: string;
  readonly sql: string;
}

/** Checks a migration list before it touches a database: non-empty, unique ids. */
export function checkMigrations(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const [i, m] of migrations.entries()) {
    if (!m || typeof m.id !== 'string' || m.id.length === 0 || typeof m.sql !== 'string')
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `migrations[${i}] must be {id, sql}`);
    if (seen.has(m.id))
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `migration id ${m.id} is duplicated`);
    seen.add(m.id);
  }
}
