import { afterAll, describe, expect, it } from 'vitest';
import { PostgresEventLog } from '../../src/gateway/log/postgres-event-log.js';
import { PostgresStore } from '../../src/store/index.js';
import { dropPostgresSchema, eventually, randomId, withPostgres } from '../store/helpers.js';
import { serviceUrl } from '../support/services.js';
import { describeDurableEventLog, expectWakeAfter } from './durable-event-log.js';
import { sampleEvent } from './event-log-contract.js';

const url = serviceUrl('postgres');

if (url) {
  const schemas: string[] = [];
  const freshSchema = () => {
    const schema = `wxhub_test_${randomId()}`;
    schemas.push(schema);
    return schema;
  };
  afterAll(async () => {
    for (const s of schemas) await dropPostgresSchema(url, s);
  });

  describeDurableEventLog('postgres', () => ({ url, options: { postgres: { schema: freshSchema() } } }));

  /** A log on a fresh schema, its tables created. */
  async function freshLog() {
    const schema = freshSchema();
    const store = new PostgresStore({ url: url!, schema });
    const log = new PostgresEventLog(store);
    await log.readPartition(0, null, 1);
    return {
      schema,
      log,
      close: async () => {
        await log.close();
        await store.close();
      },
    };
  }

  describe('PostgresEventLog', () => {
    it('appends the pushes of one turn in one INSERT, in their order; a duplicate within it is the second', async () => {
      const { log, close } = await freshLog();
      try {
        const events = Array.from({ length: 5 }, () => sampleEvent());
        const results = await Promise.all([...events, events[1]!].map((event) => log.append(event, 2)));
        expect(results.map((r) => r.duplicate)).toEqual([false, false, false, false, false, true]);
        const read = await log.readPartition(2, null, 10);
        expect(read.map((e) => e.event.id)).toEqual(events.map((e) => e.id));
        // One statement, one transaction: every cursor (`TX.SEQ`) has the same transaction id.
        expect(new Set(read.map((e) => e.cursor.split('.')[0])).size).toBe(1);
        await log.setAnswer(events[0]!.id, '<xml>first</xml>');
        const again = await Promise.all([log.append(events[0]!, 2), log.append(sampleEvent(), 2)]);
        expect(again).toEqual([
          { duplicate: true, answer: '<xml>first</xml>' },
          { duplicate: false, answer: null },
        ]);
      } finally {
        await close();
      }
    });

    it('never lets a cursor pass an append that commits after a later one', async () => {
      const { schema, log, close } = await freshLog();
      try {
        await withPostgres(url, async (slow) => {
          // Another hub's append, slow to commit: its row is inserted (seq drawn) but not committed.
          const early = sampleEvent();
          await slow.query('BEGIN');
          await slow.query(
            `INSERT INTO "${schema}".gateway_events (id, appid, partition, event) VALUES ($1, $2, 6, $3)`,
            [early.id, early.appid, JSON.stringify(early)],
          );
          const late = sampleEvent();
          await log.append(late, 6);
          // The later append is committed, but reading past it now would skip the earlier one.
          expect(await log.readPartition(6, null, 10)).toEqual([]);
          await slow.query('COMMIT');
          const read = await log.readPartition(6, null, 10);
          expect(read.map((e) => e.event.id)).toEqual([early.id, late.id]);
          const byAppid = await log.readAppid(late.appid, null, 10);
          expect(byAppid.map((e) => e.event.id)).toEqual([early.id, late.id]);
        });
      } finally {
        await close();
      }
    });

    it('orders cursors as numbers, not text, across a digit boundary of tx and seq', async () => {
      const { schema, log, close } = await freshLog();
      try {
        // Settled rows (old transaction ids) whose tx and seq gain a digit: as text, "1000" sorts
        // before "999" and "100" before "99", which once made a consumer get a partition again.
        const rows: [number, number][] = [
          [999, 99],
          [999, 100],
          [1000, 8],
        ];
        const ids: string[] = [];
        await withPostgres(url, async (client) => {
          for (const [tx, seq] of rows) {
            const event = sampleEvent();
            ids.push(event.id);
            await client.query(
              `INSERT INTO "${schema}".gateway_events (tx, seq, id, appid, partition, event)
               VALUES ($1::text::xid8, $2, $3, $4, 3, $5)`,
              [tx, seq, event.id, event.appid, JSON.stringify(event)],
            );
          }
        });
        const all = await log.readPartition(3, null, 10);
        expect(all.map((e) => e.cursor)).toEqual(['999.99', '999.100', '1000.8']);
        expect(all.map((e) => e.event.id)).toEqual(ids);
        expect((await log.readPartition(3, '999.100', 10)).map((e) => e.cursor)).toEqual(['1000.8']);
        expect(await log.readPartition(3, '1000.8', 10)).toEqual([]);
        expect(await log.latestCursor(3)).toBe('1000.8');
      } finally {
        await close();
      }
    });

    it('a read right after an append sees it while other short transactions run', async () => {
      const { log, close } = await freshLog();
      try {
        await withPostgres(url, async (other) => {
          // Back-to-back 2 ms writing transactions: most reads start while one older than the
          // append is still running.
          let running = true;
          const busy = (async () => {
            while (running) await other.query('SELECT pg_current_xact_id(), pg_sleep(0.002)');
          })();
          try {
            for (let i = 0; i < 20; i++) {
              const event = sampleEvent();
              await log.append(event, 1);
              const read = await log.readPartition(1, null, 1000);
              expect(read.at(-1)?.event.id).toBe(event.id);
            }
          } finally {
            running = false;
            await busy;
          }
        });
      } finally {
        await close();
      }
    });

    it('trims past rows another hub is deleting (SKIP LOCKED) instead of waiting for them', async () => {
      const { schema, log, close } = await freshLog();
      try {
        const [held, free] = [sampleEvent(), sampleEvent()];
        await log.append(held, 0);
        await log.append(free, 0);
        await withPostgres(url, async (other) => {
          await other.query('BEGIN');
          await other.query(`SELECT 1 FROM "${schema}".gateway_events WHERE id = $1 FOR UPDATE`, [held.id]);
          const trimmed = await Promise.race([
            log.trim(Date.now() + 60_000),
            new Promise<string>((resolve) => setTimeout(() => resolve('waited'), 3000)),
          ]);
          await other.query('COMMIT');
          expect(trimmed).toBe(1);
        });
        expect((await log.readPartition(0, null, 10)).map((e) => e.event.id)).toEqual([held.id]);
      } finally {
        await close();
      }
    });

    it('wakes watchers after its LISTEN connection was lost and reopened (notifications may be gone)', async () => {
      const app = `wxhub-test-${randomId()}`;
      const store = new PostgresStore({
        url: url!,
        schema: freshSchema(),
        pool: { application_name: app },
        retryStrategy: () => 50,
      });
      const log = new PostgresEventLog(store);
      try {
        await expectWakeAfter(log, async () => {
          const killed = await withPostgres(
            url,
            async (c) =>
              (
                await c.query(
                  `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                   WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
                  [app],
                )
              ).rowCount,
          );
          expect(killed).toBe(1);
        });
      } finally {
        await log.close();
        await store.close();
      }
    });

    it('tries a batch again when PostgreSQL aborts it in a deadlock with another hub on the unique index', async () => {
      const { schema, log, close } = await freshLog();
      try {
        await withPostgres(url, async (other) => {
          const [a, b] = [sampleEvent(), sampleEvent()];
          const insert = (e: typeof a) =>
            other.query(
              `INSERT INTO "${schema}".gateway_events (id, appid, partition, event) VALUES ($1, $2, 4, $3)`,
              [e.id, e.appid, JSON.stringify(e)],
            );
          // Another hub's batch of the same pushes in the other order: b inserted, not committed.
          // Its deadlock_timeout is long, so the log's backend (1 s) is the one PostgreSQL aborts.
          await other.query('BEGIN');
          await other.query(`SET LOCAL deadlock_timeout = '20s'`);
          await insert(b);
          // The log's INSERT: a, then it waits for b.
          const appended = Promise.all([log.append(a, 4), log.append(b, 4)]);
          appended.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
          const waiting = await eventually(async () => {
            // pg_stat_activity is read once per transaction unless its snapshot is cleared.
            await other.query('SELECT pg_stat_clear_snapshot()');
            const { rows } = await other.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
               WHERE wait_event_type = 'Lock' AND query LIKE $1`,
              [`%${schema}%unnest%`],
            );
            return rows[0]!.n > 0;
          }, 5000);
          expect(waiting).toBe(true);
          // The other hub now waits for a: a deadlock. The log's statement is aborted (nothing of
          // it written), which lets this insert through; the log tries again and waits for ours.
          await insert(a);
          await other.query('ROLLBACK');
          expect(await appended).toEqual([
            { duplicate: false, answer: null },
            { duplicate: false, answer: null },
          ]);
          expect((await log.readPartition(4, null, 10)).map((e) => e.event.id)).toEqual([a.id, b.id]);
        });
      } finally {
        await close();
      }
    });

    it('refuses a cursor that is not TX.SEQ', async () => {
      const { log, close } = await freshLog();
      try {
        await expect(log.readPartition(0, '12', 10)).rejects.toMatchObject({
          code: 'WXHUB_ERR_INVALID_ARGUMENT',
        });
        await expect(log.readAppid('wx1', "1.1'", 10)).rejects.toMatchObject({
          code: 'WXHUB_ERR_INVALID_ARGUMENT',
        });
      } finally {
        await close();
      }
    });
  });
} else {
  describe.skip('postgres event log (WXHUB_TEST_POSTGRES_URL not set)', () => {
    it('runs against PostgreSQL', () => undefined);
  });
}
