import type { Database } from 'better-sqlite3';
import { checkMigrations, type Migration } from './migrations.js';

/**
 * Applies the steps of `migrations` that `db` has not recorded yet, in order, all in one
 * `BEGIN IMMEDIATE` transaction: several processes opening a fresh file at once migrate it
 * exactly once (the others wait on the write lock, then find the steps recorded).
 * Returns the ids applied by this call.
 */
export function migrateSqlite(db: Database, migrations: readonly Migration[]): string[] {
  checkMigrations(migrations);
  const run = db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    const applied = new Set(
      db
        .prepare('SELECT id FROM schema_migrations')
        .pluck()
        .all()
        .map((id) => String(id)),
    );
    const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      db.exec(m.sql);
      record.run(m.id, Date.now());
      done.push(m.id);
    }
    return done;
  });
  return run.immediate();
}
