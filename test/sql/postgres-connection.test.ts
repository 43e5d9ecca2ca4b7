import { afterAll, describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { driverCode } from '../../src/sql/driver-error.js';
import { PostgresConnection } from '../../src/sql/postgres-connection.js';
import { DATABASE_ROLE, STORE_ROLE } from '../../src/sql/sql-failure.js';
import { dropPostgresSchema, eventually, randomId, withPostgres } from '../store/helpers.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('postgres');
const schema = `wxhub_sqltest_${randomId()}`;

describe.skipIf(!url)('PostgresConnection against a real server', () => {
  const opened: PostgresConnection[] = [];
  const open = (role = STORE_ROLE, applicationName = 'wxhub') => {
    const c = new PostgresConnection({
      url: url!,
      schema,
      max: 2,
      migrations: [{ id: 'sqltest_0001', sql: 'CREATE TABLE t (id int PRIMARY KEY)' }],
      role,
      pool: { application_name: applicationName },
    });
    opened.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await dropPostgresSchema(url!, schema);
  });

  it('reports SQL the server refuses as a bug with its SQLSTATE, not as an outage', async () => {
    const sql = open(DATABASE_ROLE);
    const syntax = await sql.query('SELEC 1').catch((e: unknown) => e);
    expect(isWxhubError(syntax, 'WXHUB_ERR_INTERNAL'), String(syntax)).toBe(true);
    expect(driverCode(syntax)).toBe('42601');
    expect((syntax as Error).message).toContain('a bug, not an outage');

    await sql.query(`INSERT INTO ${sql.quoted}.t (id) VALUES (1)`);
    const duplicate = await sql.query(`INSERT INTO ${sql.quoted}.t (id) VALUES (1)`).catch((e: unknown) => e);
    expect(isWxhubError(duplicate, 'WXHUB_ERR_INTERNAL')).toBe(true);
    expect(driverCode(duplicate)).toBe('23505');
  });

  it('reports a connection ended by the administrator (57P01) as an outage of its role', async () => {
    const app = `wxhub-sqltest-${randomId()}`;
    const sql = open(DATABASE_ROLE, app);
    await sql.query('SELECT 1');
    const sleeping = sql.query('SELECT pg_sleep(30)').catch((e: unknown) => e);
    const running = () =>
      withPostgres(url!, async (c) =>
        Number(
          (
            await c.query<{ n: string }>(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_sleep%'",
              [app],
            )
          ).rows[0]?.n,
        ),
      );
    expect(await eventually(async () => (await running()) === 1, 10_000)).toBe(true);
    await withPostgres(url!, (c) =>
      c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]),
    );
    const err = await sleeping;
    expect(isWxhubError(err, 'WXHUB_ERR_DATABASE_UNAVAILABLE'), String(err)).toBe(true);
    expect(driverCode(err)).toBe('57P01');
    // The pool drops the dead connection: the next call works again.
    expect((await sql.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
  });

  it('rolls a transaction back when its body throws, and answers "closed" after close', async () => {
    const sql = open();
    await sql.query(`DELETE FROM ${sql.quoted}.t`);
    const failed = await sql
      .transaction(async (q) => {
        await q(`INSERT INTO ${sql.quoted}.t (id) VALUES (7)`);
        await q(`INSERT INTO ${sql.quoted}.t (id) VALUES (7)`);
      })
      .catch((e: unknown) => e);
    expect(driverCode(failed)).toBe('23505');
    // A body that fails in JavaScript, after a statement that worked, rolls back as well.
    const thrown = await sql
      .transaction(async (q) => {
        await q(`INSERT INTO ${sql.quoted}.t (id) VALUES (8)`);
        throw new Error('body failed');
      })
      .catch((e: unknown) => e);
    expect((thrown as Error).message).toBe('body failed');
    expect((await sql.query(`SELECT id FROM ${sql.quoted}.t`)).rows).toEqual([]);
    await sql.close();
    const closed = await sql.query('SELECT 1').catch((e: unknown) => e);
    expect(isWxhubError(closed, 'WXHUB_ERR_STORE_UNAVAILABLE')).toBe(true);
    expect((closed as Error).message).toMatch(/store is closed$/);
  });
});
