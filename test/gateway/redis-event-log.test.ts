import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisEventLog, type RedisEventLogOptions } from '../../src/gateway/log/redis-event-log.js';
import { RedisStore, type RedisStoreOptions } from '../../src/store/index.js';
import { deleteRedisPrefix, randomId } from '../store/helpers.js';
import { serviceUrl } from '../support/services.js';
import { describeDurableEventLog, expectWakeAfter } from './durable-event-log.js';
import { sampleEvent } from './event-log-contract.js';

const url = serviceUrl('redis');
const base = `wxhub-test-${randomId()}:`;

if (url) {
  afterAll(() => deleteRedisPrefix(url, base));

  describeDurableEventLog('redis', () => ({
    url,
    options: { redis: { keyPrefix: `${base}${randomId()}:` } },
  }));

  /** `fn` with a RedisEventLog on a fresh prefix, closed afterwards. */
  async function withLog(
    fn: (log: RedisEventLog, keyPrefix: string) => Promise<void>,
    options: Partial<RedisStoreOptions> = {},
    logOptions: RedisEventLogOptions = {},
  ): Promise<void> {
    const keyPrefix = `${base}${randomId()}:`;
    const store = new RedisStore({ url: url!, keyPrefix, ...options });
    const log = new RedisEventLog(store, logOptions);
    try {
      await fn(log, keyPrefix);
    } finally {
      await log.close();
      await store.close();
    }
  }

  describe('RedisEventLog', () => {
    it('keeps events in streams, dedup keys with the retention TTL, positions and dead letters under the prefix', async () => {
      const raw = new Redis(url);
      try {
        await withLog(
          async (log, keyPrefix) => {
            const event = sampleEvent({ appid: 'wx1111111111111111' });
            await log.append(event, 5);
            const [partitionEntry] = await raw.xrange(`${keyPrefix}gw:p:5`, '-', '+');
            expect(JSON.parse(partitionEntry![1][1]!)).toEqual(event);
            const [pointer] = await raw.xrange(`${keyPrefix}gw:a:wx1111111111111111`, '-', '+');
            expect(pointer![1]).toEqual(['p', '5', 'r', partitionEntry![0]]);
            const ttl = await raw.pttl(`${keyPrefix}gw:id:${event.id}`);
            expect(ttl).toBeGreaterThan(50_000);
            expect(ttl).toBeLessThanOrEqual(60_000);
            await log.setAnswer(event.id, '<xml/>');
            expect(await raw.pttl(`${keyPrefix}gw:id:${event.id}`)).toBeGreaterThan(50_000);

            await log.setPosition('crm', 5, 0, {
              cursor: partitionEntry![0],
              attempts: 0,
              notBefore: 0,
              lastError: null,
            });
            expect(await raw.hgetall(`${keyPrefix}gw:pos:crm:5`)).toEqual({
              version: '1',
              attempts: '0',
              notBefore: '0',
              cursor: partitionEntry![0],
            });
            await log.addDeadLetter({ consumer: 'crm', event, error: 'HTTP 500', attempts: 3, at: 42 });
            expect(await raw.zrange(`${keyPrefix}gw:dead-order:crm`, 0, -1, 'WITHSCORES')).toEqual([
              event.id,
              '42',
            ]);
            expect(await raw.hkeys(`${keyPrefix}gw:dead:crm`)).toEqual([event.id]);
          },
          {},
          { dedupTtlMs: 60_000 },
        );
      } finally {
        raw.disconnect();
      }
    });

    it('orders dead letters by time, not by when they were added', () =>
      withLog(async (log) => {
        const [late, early] = [sampleEvent(), sampleEvent()];
        await log.addDeadLetter({ consumer: 'c', event: late, error: 'x', attempts: 1, at: 200 });
        await log.addDeadLetter({ consumer: 'c', event: early, error: 'y', attempts: 1, at: 100 });
        expect((await log.deadLetters('c', 10)).map((l) => l.event.id)).toEqual([early.id, late.id]);
        expect((await log.deadLetters('c', 1)).map((l) => l.event.id)).toEqual([early.id]);
      }));

    it('wakes watchers after its subscriber connection was lost and reopened (messages may be gone)', async () => {
      const name = `wxhub-test-${randomId()}`;
      const raw = new Redis(url);
      try {
        await withLog(
          (log) =>
            expectWakeAfter(log, async () => {
              const clients = (await raw.client('LIST')) as string;
              const ids = clients
                .split('\n')
                .filter((line) => line.includes(` name=${name} `) && / sub=[1-9]/.test(line))
                .map((line) => /\bid=(\d+)/.exec(line)![1]!);
              expect(ids).toHaveLength(1);
              await raw.client('KILL', 'ID', ids[0]!);
            }),
          { redis: { connectionName: name } },
        );
      } finally {
        raw.disconnect();
      }
    });

    it('refuses a cursor that is not a stream id', () =>
      withLog(async (log) => {
        await expect(log.readPartition(0, '12', 10)).rejects.toMatchObject({
          code: 'WXHUB_ERR_INVALID_ARGUMENT',
        });
        await expect(log.readAppid('wx1', '1-0 + COUNT', 10)).rejects.toMatchObject({
          code: 'WXHUB_ERR_INVALID_ARGUMENT',
        });
      }));
  });
} else {
  describe.skip('redis event log (WXHUB_TEST_REDIS_URL not set)', () => {
    it('runs against Redis', () => undefined);
  });
}
