import type { PoolClient } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, POSTGRES_DATABASE_MIGRATIONS, PostgresDatabase } from '../../src/db/index.js';
import { isWxhubError } from '../../src/errors/index.js';
import { migratePostgres } from '../../src/sql/postgres-migrations.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { dropPostgresSchema, randomId, withPostgres } from '../store/helpers.js';
import { serviceUrl } from '../support/services.js';
import { describeDatabaseContract } from './contract.js';

const url = serviceUrl('postgres');
const schema = `wxhub_dbtest_${randomId()}`;

if (url) {
  const schemas = [schema];
  afterAll(async () => {
    for (const s of schemas) await dropPostgresSchema(url, s);
  });

  describeDatabaseContract('postgres', () => new PostgresDatabase({ url, schema }), { shared: true });

  describe('PostgresDatabase', () => {
    it('shares a schema with the PostgresStore; both migrate once with their own ids', async () => {
      const shared = `wxhub_dbtest_${randomId()}`;
      schemas.push(shared);
      const store = new PostgresStore({ url, schema: shared });
      const dbs = [0, 1, 2].map(() => new PostgresDatabase({ url, schema: shared }));
      try {
        await Promise.all([
          store.compareAndSetCredential('k', 0, { value: 'v', expiresAt: 2, fetchedAt: 1 }),
          ...dbs.map((db, i) => db.settings.putIfAbsent('boot', `hub-${i}`)),
        ]);
        const ids = await withPostgres(url, async (c) =>
          (
            await c.query<{ id: string }>(
              `SELECT id FROM "${shared}".schema_migrations WHERE id LIKE 'db_%' ORDER BY id`,
            )
          ).rows.map((r) => r.id),
        );
        expect(ids).toEqual(POSTGRES_DATABASE_MIGRATIONS.map((m) => m.id));
        expect(new Set(await Promise.all(dbs.map((db) => db.settings.get('boot')))).size).toBe(1);
      } finally {
        await Promise.all([store.close(), ...dbs.map((db) => db.close())]);
      }
    });

    it('upgrades a schema synced before live follower state: its followers stay followers', async () => {
      const own = `wxhub_dbtest_${randomId()}`;
      schemas.push(own);
      const before = POSTGRES_DATABASE_MIGRATIONS.filter((m) => m.id !== 'db_0006_follower_state');
      await withPostgres(url, async (c) => {
        await migratePostgres(c as unknown as PoolClient, own, before);
        await c.query(
          `INSERT INTO "${own}".followers (appid, openid, unionid, subscribe_time, subscribe_scene, synced_at)
           VALUES ('wx1', 'oOld', NULL, 5000, 'ADD_SCENE_SEARCH', 10)`,
        );
      });
      const db = new PostgresDatabase({ url, schema: own });
      try {
        expect(await db.followers.state('wx1', 'oOld')).toMatchObject({
          subscribe: 1,
          qrScene: null,
          eventTime: null,
        });
        expect((await db.followers.page('wx1')).rows.map((r) => r.openid)).toEqual(['oOld']);
        expect(await db.followers.lastSyncedAt('wx1')).toBe(10);
      } finally {
        await db.close();
      }
    });

    it('opens from a postgres:// URL', async () => {
      const db = openDatabase(url, { postgres: { schema } });
      expect(db.kind).toBe('postgres');
      await db.ping();
      await db.close();
    });

    it('reports SQL the server refuses as a bug (WXHUB_ERR_INTERNAL), never as an outage', async () => {
      const own = `wxhub_dbtest_${randomId()}`;
      schemas.push(own);
      const db = new PostgresDatabase({ url, schema: own });
      try {
        await db.settings.putIfAbsent('k', 'v');
        await withPostgres(url, (c) => c.query(`DROP TABLE "${own}".hub_settings`));
        const err = await db.settings.get('k').catch((e: unknown) => e);
        expect(isWxhubError(err, 'WXHUB_ERR_INTERNAL'), String(err)).toBe(true);
        expect((err as Error).message).toMatch(/42P01: .*a bug, not an outage/);
        await db.ping(); // the database itself is fine
      } finally {
        await db.close();
      }
    });

    it('reports an unreachable server as WXHUB_ERR_DATABASE_UNAVAILABLE without the password', async () => {
      const db = new PostgresDatabase({
        url: 'postgres://u:hunter2@127.0.0.1:1/x',
        schema,
        pool: { connectionTimeoutMillis: 500 },
      });
      const err = await db.ping().catch((e: unknown) => e);
      await db.close();
      expect(isWxhubError(err, 'WXHUB_ERR_DATABASE_UNAVAILABLE')).toBe(true);
      expect(String((err as Error).message)).not.toContain('hunter2');
      expect(String((err as Error).stack)).not.toContain('hunter2');
      expect(JSON.stringify(err)).not.toContain('hunter2');
    });
  });
} else {
  describe.skip('postgres database (WXHUB_TEST_POSTGRES_URL not set)', () => {
    it('runs against a real PostgreSQL', () => {});
  });
}
