import type { PoolClient } from 'pg';
import { checkMigrations, type Migration } from './migrations.js';

/**
 * Applies the steps of `migrations` not yet recorded in `schema.schema_migrations`, in order, in
 * one transaction that first takes an advisory lock named after the schema: hubs starting
 * together migrate once, the others wait and then find the steps recorded. Creates the schema.
 * Resolves the ids applied by this call. `schema` must already be a validated identifier.
 */
export async function migratePostgres(
  client: PoolClient,
  schema: string,
  migrations: readonly Migration[],
): Promise<string[]> {
  checkMigrations(migrations);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wxhub.migrate.${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`SET LOCAL search_path TO "${schema}"`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const applied = new Set(
      (await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id),
    );
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      done.push(m.id);
    }
    await client.query('COMMIT');
    return done;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
