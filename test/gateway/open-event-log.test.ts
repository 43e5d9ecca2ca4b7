import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../src/gateway/log/memory-event-log.js';
import { openEventLog } from '../../src/gateway/log/open-event-log.js';
import { PostgresEventLog } from '../../src/gateway/log/postgres-event-log.js';
import { RedisEventLog } from '../../src/gateway/log/redis-event-log.js';
import { SqliteEventLog } from '../../src/gateway/log/sqlite-event-log.js';
import { MemoryStore, PostgresStore, RedisStore, SqliteStore, type Store } from '../../src/store/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { dropPostgresSchema, randomId } from '../store/helpers.js';
import { serviceUrl } from '../support/services.js';
import { sampleEvent } from './event-log-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'wxhub-open-event-log-'));
const schema = `wxhub_test_${randomId()}`;
const redisUrl = serviceUrl('redis');
const postgresUrl = serviceUrl('postgres');
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (postgresUrl) await dropPostgresSchema(postgresUrl, schema);
});

describe('openEventLog', () => {
  const cases: [string, () => Store, unknown][] = [
    ['memory', () => new MemoryStore(), MemoryEventLog],
    ['sqlite', () => new SqliteStore(join(dir, 'kinds.db')), SqliteEventLog],
  ];
  if (redisUrl)
    cases.push([
      'redis',
      () => new RedisStore({ url: redisUrl, keyPrefix: `wxhub-test-${randomId()}:` }),
      RedisEventLog,
    ]);
  if (postgresUrl)
    cases.push(['postgres', () => new PostgresStore({ url: postgresUrl, schema }), PostgresEventLog]);

  for (const [kind, make, type] of cases) {
    it(`opens the ${kind} backend on a ${kind} store, whose close leaves the store open`, async () => {
      const store = make();
      const log = openEventLog(store);
      try {
        expect(log).toBeInstanceOf(type as new (...args: never[]) => unknown);
        const event = sampleEvent();
        expect(await log.append(event, 0)).toEqual({ duplicate: false, answer: null });
        await log.close();
        expect(await store.acquireLease(`after-close-${randomId()}`, 'me', 1000)).toBe(true);
      } finally {
        await log.close();
        await store.close();
      }
    });
  }

  it('stamps SQLite events with the given clock, which trim compares against', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new SqliteStore({ path: join(dir, 'clock.db'), clock });
    const log = openEventLog(store, { clock });
    try {
      await log.append(sampleEvent(), 0);
      expect(await log.trim(1_000_000)).toBe(0);
      expect(await log.trim(1_000_001)).toBe(1);
    } finally {
      await log.close();
      await store.close();
    }
  });

  it('refuses a store it has no backend for', () => {
    const odd = { kind: 'etcd' } as unknown as Store;
    expect(() => openEventLog(odd)).toThrow(expect.objectContaining({ code: 'WXHUB_ERR_INVALID_ARGUMENT' }));
  });
});
