import { afterAll, describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { POSTGRES_STORE_MIGRATIONS, PostgresStore } from '../../src/store/index.js';
import { serviceUrl } from '../support/services.js';
import { describeStoreContract } from './contract.js';
import { dropPostgresSchema, eventually, randomId, withPostgres } from './helpers.js';

const url = serviceUrl('postgres');
const schema = `wxhub_test_${randomId()}`;

if (url) {
  const schemas = [schema];
  afterAll(async () => {
    for (const s of schemas) await dropPostgresSchema(url, s);
  });

  describeStoreContract('postgres', () => new PostgresStore({ url, schema }), {
    shared: true,
    watchBoundMs: 200,
  });

  describe('PostgresStore', () => {
    it('migrates a fresh schema once when several hubs start together', async () => {
      const fresh = `wxhub_test_${randomId()}`;
      schemas.push(fresh);
      const extra = [{ id: 'users_0001', sql: 'CREATE TABLE users (id text PRIMARY KEY)' }];
      const hubs = Array.from(
        { length: 4 },
        () => new PostgresStore({ url, schema: fresh, migrations: extra }),
      );
      try {
        const written = await Promise.all(
          hubs.map((hub, i) =>
            hub.compareAndSetCredential('boot', 0, { value: `hub-${i}`, expiresAt: 1, fetchedAt: 1 }),
          ),
        );
        expect(written.filter((w) => w !== null)).toHaveLength(1);
        const ids = await withPostgres(url, async (c) =>
          (await c.query<{ id: string }>(`SELECT id FROM "${fresh}".schema_migrations ORDER BY id`)).rows.map(
            (r) => r.id,
          ),
        );
        expect(ids).toEqual([...POSTGRES_STORE_MIGRATIONS.map((m) => m.id), 'users_0001'].sort());
      } finally {
        await Promise.all(hubs.map((hub) => hub.close()));
      }
    });

    it('expires leases by the database clock', async () => {
      const store = new PostgresStore({ url, schema });
      try {
        expect(await store.acquireLease('db-clock', 'a', 60_000)).toBe(true);
        const seconds = await withPostgres(url, async (c) =>
          Number(
            (
              await c.query<{ s: string }>(
                `SELECT extract(epoch FROM expires_at - clock_timestamp()) AS s FROM "${schema}".leases WHERE name = 'db-clock'`,
              )
            ).rows[0]?.s,
          ),
        );
        expect(seconds).toBeGreaterThan(58);
        expect(seconds).toBeLessThanOrEqual(60);
      } finally {
        await store.close();
      }
    });

    it('reopens a lost LISTEN connection and its pool, and reports what may have been missed', async () => {
      const app = `wxhub-test-${randomId()}`;
      const watcher = new PostgresStore({
        url,
        schema,
        pool: { application_name: app },
        retryStrategy: () => 50,
      });
      const writer = new PostgresStore({ url, schema });
      try {
        const seen: string[] = [];
        await watcher.watchCredentials((key) => seen.push(key));
        await watcher.getCredential('warm-the-pool');
        await writer.compareAndSetCredential('before-reset', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 });
        expect(await eventually(() => seen.includes('before-reset'), 1000)).toBe(true);

        const killed = await withPostgres(
          url,
          async (c) =>
            (
              await c.query(
                'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
                [app],
              )
            ).rowCount,
        );
        expect(killed).toBeGreaterThanOrEqual(2); // the LISTEN connection and a pooled one
        seen.length = 0;
        // While the LISTEN connection is down a write may be missed; the resync reports it.
        await writer.compareAndSetCredential('during-reset', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 });
        expect(await eventually(() => seen.includes('during-reset'), 3000)).toBe(true);
        await writer.compareAndSetCredential('after-reset', 0, { value: 'v', expiresAt: 1, fetchedAt: 1 });
        expect(await eventually(() => seen.includes('after-reset'), 1000)).toBe(true);
        expect(
          await eventually(
            async () => (await watcher.getCredential('after-reset').catch(() => null)) !== null,
            2000,
          ),
        ).toBe(true);
      } finally {
        await Promise.all([watcher.close(), writer.close()]);
      }
    });

    it('reports SQL the server refuses as a bug (WXHUB_ERR_INTERNAL), never as an outage', async () => {
      const own = `wxhub_test_${randomId()}`;
      schemas.push(own);
      const store = new PostgresStore({ url, schema: own });
      try {
        await store.putOnce('k', 'v', 1000);
        await withPostgres(url, (c) => c.query(`DROP TABLE "${own}".once_values`));
        const err = await store.putOnce('k', 'v', 1000).catch((e: unknown) => e);
        expect(isWxhubError(err, 'WXHUB_ERR_INTERNAL'), String(err)).toBe(true);
        expect((err as Error).message).toMatch(/42P01: .*a bug, not an outage/);
        expect(await store.acquireLease('l', 'o', 1000)).toBe(true);
      } finally {
        await store.close();
      }
    });

    it('rejects a schema that is not a plain identifier', () => {
      for (const bad of ['Upper', 'semi;colon', '1digit', 'x'.repeat(49), ''])
        expect(() => new PostgresStore({ url, schema: bad })).toThrow(
          expect.objectContaining({ code: 'WXHUB_ERR_INVALID_ARGUMENT' }),
        );
    });

    it('rejects calls after close with WXHUB_ERR_STORE_UNAVAILABLE', async () => {
      const store = new PostgresStore({ url, schema });
      await store.close();
      const err = await store.getCredential('k').catch((e: unknown) => e);
      expect(isWxhubError(err, 'WXHUB_ERR_STORE_UNAVAILABLE')).toBe(true);
    });
  });
} else {
  describe.skip('postgres store (WXHUB_TEST_POSTGRES_URL not set)', () => {
    it('runs against PostgreSQL', () => undefined);
  });
}
