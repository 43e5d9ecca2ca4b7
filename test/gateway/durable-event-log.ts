import { describe, expect, it } from 'vitest';
import type { Consumer } from '../../src/gateway/deliver/consumer.js';
import { DeliveryWorkers } from '../../src/gateway/deliver/delivery-workers.js';
import type { EventLog } from '../../src/gateway/log/event-log.js';
import { partitionOf } from '../../src/gateway/log/event-log.js';
import { openEventLog } from '../../src/gateway/log/open-event-log.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';
import { type OpenStoreOptions, openStore, type Store } from '../../src/store/index.js';
import { eventually, randomId, startWorker, type Worker } from '../store/helpers.js';
import { describeEventLogContract, sampleEvent } from './event-log-contract.js';

/** The worker lives beside these tests; startWorker resolves names from test/store/fixtures. */
const WORKER = '../../gateway/fixtures/event-log-worker';

export type ClosableLog = EventLog & { close(): Promise<void> };

/** A store URL and options naming one namespace (file, key prefix, schema) of a backend. */
export interface Namespace {
  readonly url: string;
  readonly options: OpenStoreOptions;
}

/** The event log of a fresh store on `ns`; closing it closes the store too. */
export function openLog(ns: Namespace): ClosableLog {
  return openStoreAndLog(ns).log;
}

function openStoreAndLog(ns: Namespace): { store: Store; log: ClosableLog } {
  const store = openStore(ns.url, ns.options);
  const log = openEventLog(store);
  const closeLog = log.close.bind(log);
  const closable = Object.assign(log, {
    close: async () => {
      await closeLog();
      await store.close();
    },
  });
  return { store, log: closable };
}

/**
 * Watches `log`, runs `cause` (a lost connection, say) and expects a wake-up within 5 s, then
 * another one from an append: the watch still works afterwards.
 */
export async function expectWakeAfter(log: EventLog, cause: () => Promise<unknown>): Promise<void> {
  let woken = 0;
  await log.watch(() => {
    woken++;
  });
  await cause();
  expect(await eventually(() => woken > 0, 5000)).toBe(true);
  woken = 0;
  await log.append(sampleEvent(), 3);
  expect(await eventually(() => woken > 0, 5000)).toBe(true);
}

async function closing<T>(logs: ClosableLog[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await Promise.all(logs.map((l) => l.close()));
  }
}

/**
 * The contract suite, then what only a durable, shared log can show: acknowledged appends
 * survive the appending process's SIGKILL, two processes deduplicate one push between them, a
 * cursor outlives trimming, and an append through one connection wakes a watcher on another.
 * `fresh()` names a new, empty namespace.
 */
export function describeDurableEventLog(name: string, fresh: () => Namespace): void {
  describeEventLogContract(name, async () => openLog(fresh()));

  describe(`EventLog ${name}: durable and shared`, () => {
    it('two processes appending the same 200 events concurrently store each once; the other gets a duplicate', async () => {
      const ns = fresh();
      const appid = `wx${randomId()}abcd`;
      const workers: Worker[] = [0, 1].map(() => startWorker(WORKER, [ns.url, JSON.stringify(ns.options)]));
      try {
        await Promise.all(workers.map((w) => w.next())); // ready
        const command = JSON.stringify({
          op: 'append',
          seed: `race-${randomId()}`,
          count: 200,
          concurrency: 50,
          appid,
        });
        for (const w of workers) w.send(command);
        const answers = (await Promise.all(workers.map((w) => w.next()))) as {
          fresh?: string[];
          duplicates?: string[];
          error?: string;
        }[];
        for (const a of answers) expect(a.error).toBeUndefined();
        const fresh0 = new Set(answers[0]!.fresh);
        const fresh1 = new Set(answers[1]!.fresh);
        const ids = [...fresh0, ...fresh1];
        expect(ids).toHaveLength(200);
        expect(new Set(ids).size).toBe(200);
        // Each event: new in exactly one process, a duplicate in exactly the other.
        expect(new Set(answers[0]!.duplicates)).toEqual(fresh1);
        expect(new Set(answers[1]!.duplicates)).toEqual(fresh0);

        const reader = openLog(ns);
        await closing([reader], async () => {
          const stored = await reader.readAppid(appid, null, 1000);
          expect(stored).toHaveLength(200);
          expect(new Set(stored.map((e) => e.event.id))).toEqual(new Set(ids));
        });
        for (const w of workers) w.send(JSON.stringify({ op: 'exit' }));
        for (const { code } of await Promise.all(workers.map((w) => w.exit))) expect(code).toBe(0);
      } finally {
        for (const w of workers) w.kill();
      }
    });

    it('an append is durable once it resolves: its process SIGKILLed at once, another instance reads it', async () => {
      const ns = fresh();
      const appid = `wx${randomId()}abcd`;
      const id = `durable-${randomId()}`;
      const worker = startWorker(WORKER, [ns.url, JSON.stringify(ns.options)]);
      try {
        await worker.next(); // ready
        worker.send(JSON.stringify({ op: 'append-one', id, appid }));
        const answer = await worker.next();
        worker.kill();
        expect(answer).toEqual({ appended: { duplicate: false, answer: null } });
        await worker.exit;
      } finally {
        worker.kill();
      }
      const reader = openLog(ns);
      await closing([reader], async () => {
        expect((await reader.readAppid(appid, null, 10)).map((e) => e.event.id)).toEqual([id]);
        expect((await reader.append(sampleEvent({ id, appid }), 0)).duplicate).toBe(true);
      });
    });

    it('reads in append order, not in the order of the ids (real ids are hashes)', async () => {
      const log = openLog(fresh());
      await closing([log], async () => {
        const tag = randomId();
        const events = Array.from({ length: 8 }, (_, i) =>
          sampleEvent({ id: `evt_${String.fromCharCode(122 - i)}${tag}`, appid: `wx${tag}abcd` }),
        );
        for (const event of events) await log.append(event, 9);
        const ids = events.map((e) => e.id);
        expect((await log.readPartition(9, null, 100)).map((e) => e.event.id)).toEqual(ids);
        expect((await log.readAppid(`wx${tag}abcd`, null, 100)).map((e) => e.event.id)).toEqual(ids);
      });
    });

    it('a cursor stays valid after the log was trimmed empty: later events come after it', async () => {
      const log = openLog(fresh());
      await closing([log], async () => {
        const first = sampleEvent();
        await log.append(first, 4);
        const [read] = await log.readPartition(4, null, 10);
        expect(read?.event.id).toBe(first.id);
        expect(await log.trim(Date.now() + 60_000)).toBe(1);
        const second = sampleEvent();
        await log.append(second, 4);
        expect((await log.readPartition(4, read!.cursor, 10)).map((e) => e.event.id)).toEqual([second.id]);
      });
    });

    it('delivery workers of two hubs on this backend deliver each event once, in order per openid', async () => {
      const ns = fresh();
      const hubs = [openStoreAndLog(ns), openStoreAndLog(ns)];
      const got: PushEvent[] = [];
      const consumer: Consumer = {
        name: 'crm',
        filter: {},
        async deliver(event) {
          got.push(event);
        },
      };
      const workers = hubs.map(
        ({ store, log }) =>
          new DeliveryWorkers({ log, store, consumers: [consumer], partitions: 4, pollMs: 50 }),
      );
      await closing(
        hubs.map((h) => h.log),
        async () => {
          await Promise.all(workers.map((w) => w.start()));
          const events = Array.from({ length: 40 }, (_, i) => sampleEvent({ openid: `o${i % 5}` }));
          for (const [i, event] of events.entries()) {
            const partition = partitionOf(event.openid, 4);
            await hubs[i % 2]!.log.append(event, partition);
            workers[i % 2]!.wake(partition);
          }
          const log = hubs[0]!.log;
          const caughtUp = async () => {
            for (let p = 0; p < 4; p++) {
              const { cursor } = await log.getPosition('crm', p);
              if ((await log.readPartition(p, cursor, 1)).length > 0) return false;
            }
            return true;
          };
          expect(await eventually(caughtUp, 20_000)).toBe(true);
          await Promise.all(workers.map((w) => w.stop()));
          expect(got.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
          for (let u = 0; u < 5; u++) {
            const mine = (list: PushEvent[]) => list.filter((e) => e.openid === `o${u}`).map((e) => e.id);
            expect(mine(got)).toEqual(mine(events));
          }
        },
      );
    });

    it('an append through another connection wakes a watcher, and reads back through this one', async () => {
      const ns = fresh();
      const [watching, appending] = [openLog(ns), openLog(ns)];
      await closing([watching, appending], async () => {
        let woken = 0;
        await watching.watch(() => {
          woken++;
        });
        const event = sampleEvent();
        await appending.append(event, 2);
        expect(await eventually(() => woken > 0, 5000)).toBe(true);
        expect((await watching.readPartition(2, null, 10)).map((e) => e.event.id)).toEqual([event.id]);
        expect((await watching.append(event, 2)).duplicate).toBe(true);
      });
    });
  });
}
