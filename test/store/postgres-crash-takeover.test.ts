import { afterAll, describe } from 'vitest';
import { serviceUrl } from '../support/services.js';
import { itTakesOverFromAKilledHolder } from './crash-takeover.js';
import { dropPostgresSchema, randomId, withPostgres } from './helpers.js';

const url = serviceUrl('postgres');
const schema = `wxhub_test_takeover_${randomId()}`;

describe.skipIf(!url)('PostgresStore: a lease holder killed mid-refresh', () => {
  afterAll(() => dropPostgresSchema(url!, schema));
  if (url)
    itTakesOverFromAKilledHolder(url, { postgres: { schema } }, () =>
      withPostgres(url, async (c) => {
        const exists = await c.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [
          schema,
          'leases',
        ]);
        if (exists.rowCount === 0) return [];
        const { rows } = await c.query<{ name: string; left_ms: string }>(
          `SELECT name, round(extract(epoch FROM expires_at - clock_timestamp()) * 1000) AS left_ms
           FROM "${schema}".leases WHERE expires_at > clock_timestamp()`,
        );
        return rows.map((r) => ({ name: r.name, leftMs: Number(r.left_ms) }));
      }),
    );
});
