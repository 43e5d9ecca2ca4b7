import { describe, expect, it } from 'vitest';
import type { Consumer } from '../../src/gateway/deliver/consumer.js';
import { DeliveryWorkers, type DeliveryWorkersOptions } from '../../src/gateway/deliver/delivery-workers.js';
import { partitionOf } from '../../src/gateway/log/event-log.js';
import { MemoryEventLog } from '../../src/gateway/log/memory-event-log.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';
import { MemoryStore } from '../../src/store/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { sampleEvent } from './event-log-contract.js';

const PARTITIONS = 4;

/** A consumer that records what it got and fails while `fail` says so. */
function recorder(name: string, fail: (event: PushEvent, attempt: number) => boolean = () => false) {
  const got: PushEvent[] = [];
  const tries = new Map<string, number>();
  const consumer: Consumer = {
    name,
    filter: {},
    async deliver(event) {
      const attempt = (tries.get(event.id) ?? 0) + 1;
      tries.set(event.id, attempt);
      if (fail(event, attempt)) throw new Error(`HTTP 500 on try ${attempt}`);
      got.push(event);
    },
  };
  return { consumer, got, tries };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function setup(consumers: Consumer[], extra: Partial<DeliveryWorkersOptions> = {}) {
  const log = new MemoryEventLog();
  const store = new MemoryStore();
  const workers = new DeliveryWorkers({
    log,
    store,
    consumers,
    partitions: PARTITIONS,
    pollMs: 20,
    retryStrategy: (n) => (n <= 3 ? 10 : null),
    ...extra,
  });
  const push = async (event: PushEvent) => {
    const partition = partitionOf(event.openid, PARTITIONS);
    await log.append(event, partition);
    workers.wake(partition);
  };
  return { log, store, workers, push };
}

const byUser = (events: PushEvent[], openid: string) =>
  events.filter((e) => e.openid === openid).map((e) => e.id);

describe('DeliveryWorkers', () => {
  it('delivers every event to every consumer once, in order per openid', async () => {
    const [a, b] = [recorder('crm'), recorder('bot')];
    const { workers, push } = setup([a.consumer, b.consumer]);
    await workers.start();
    const events = Array.from({ length: 60 }, (_, i) => sampleEvent({ openid: `o${i % 7}` }));
    for (const event of events) await push(event);
    await until(() => a.got.length === 60 && b.got.length === 60);
    await workers.stop();
    for (const { got } of [a, b]) {
      expect(new Set(got.map((e) => e.id)).size).toBe(60);
      for (let u = 0; u < 7; u++) expect(byUser(got, `o${u}`)).toEqual(byUser(events, `o${u}`));
    }
  });

  it("retries a failing delivery and holds that user's later events until it goes through", async () => {
    const flaky = recorder('crm', (event, attempt) => event.fields.Content === 'first' && attempt < 3);
    const { workers, push } = setup([flaky.consumer]);
    await workers.start();
    const first = sampleEvent({ openid: 'oA', fields: { Content: 'first' } });
    const second = sampleEvent({ openid: 'oA', fields: { Content: 'second' } });
    await push(first);
    await push(second);
    await until(() => flaky.got.length === 2);
    await workers.stop();
    expect(flaky.got.map((e) => e.id)).toEqual([first.id, second.id]);
    expect(flaky.tries.get(first.id)).toBe(3);
    expect(flaky.tries.get(second.id)).toBe(1);
  });

  it('dead-letters an event after its retries and moves on', async () => {
    const outcomes: string[] = [];
    const broken = recorder('crm', (event) => event.fields.Content === 'poison');
    const { workers, push, log } = setup([broken.consumer], { onOutcome: (o) => outcomes.push(o.outcome) });
    await workers.start();
    const poison = sampleEvent({ openid: 'oB', fields: { Content: 'poison' } });
    const after = sampleEvent({ openid: 'oB', fields: { Content: 'fine' } });
    await push(poison);
    await push(after);
    await until(() => broken.got.length === 1);
    await workers.stop();
    expect(broken.got[0]!.id).toBe(after.id);
    expect(broken.tries.get(poison.id)).toBe(4); // the first try and 3 retries
    const letters = await log.deadLetters('crm', 10);
    expect(letters.map((l) => [l.event.id, l.attempts, l.error])).toEqual([
      [poison.id, 4, 'HTTP 500 on try 4'],
    ]);
    expect(outcomes).toEqual(['failed', 'failed', 'failed', 'dead', 'delivered']);
  });

  it('skips what a consumer filters out without calling it', async () => {
    const follows = recorder('follows');
    follows.consumer = { ...follows.consumer, filter: { events: ['subscribe'] } } as Consumer;
    const { workers, push } = setup([follows.consumer]);
    await workers.start();
    await push(sampleEvent({ openid: 'oC' }));
    const subscribe = sampleEvent({ openid: 'oC', type: 'event', msg_type: 'event', event: 'subscribe' });
    await push(subscribe);
    await push(sampleEvent({ openid: 'oC', type: 'event', msg_type: 'event', event: 'CLICK' }));
    await until(() => follows.got.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    await workers.stop();
    expect(follows.got.map((e) => e.id)).toEqual([subscribe.id]);
  });

  it('two hubs on one store share the work: each event once, in order', async () => {
    const crm = recorder('crm');
    const first = setup([crm.consumer]);
    const second = new DeliveryWorkers({
      log: first.log,
      store: first.store,
      consumers: [crm.consumer],
      partitions: PARTITIONS,
      pollMs: 20,
    });
    await Promise.all([first.workers.start(), second.start()]);
    const events = Array.from({ length: 80 }, (_, i) => sampleEvent({ openid: `o${i % 5}` }));
    for (const event of events) {
      await first.push(event);
      second.wake(partitionOf(event.openid, PARTITIONS));
    }
    await until(() => crm.got.length >= 80);
    await new Promise((r) => setTimeout(r, 100));
    await Promise.all([first.workers.stop(), second.stop()]);
    expect(crm.got).toHaveLength(80);
    for (let u = 0; u < 5; u++) expect(byUser(crm.got, `o${u}`)).toEqual(byUser(events, `o${u}`));
  });

  it('a hub that hangs mid-delivery loses the partition after the lease TTL; another redelivers, same id', async () => {
    const got: string[] = [];
    let release: (() => void) | undefined;
    const hanging: Consumer = {
      name: 'crm',
      filter: {},
      deliver: (event) =>
        new Promise<void>((resolve) => {
          got.push(`hung:${event.id}`);
          release = resolve;
        }),
    };
    const healthy: Consumer = {
      name: 'crm',
      filter: {},
      async deliver(event) {
        got.push(`ok:${event.id}`);
      },
    };
    const dead = setup([hanging], { leaseTtlMs: 300 });
    await dead.workers.start();
    const event = sampleEvent({ openid: 'oD' });
    const later = sampleEvent({ openid: 'oD' });
    await dead.push(event);
    await until(() => got.length === 1);
    await dead.log.append(later, partitionOf(later.openid, PARTITIONS));

    const survivor = new DeliveryWorkers({
      log: dead.log,
      store: dead.store,
      consumers: [healthy],
      partitions: PARTITIONS,
      pollMs: 20,
      leaseTtlMs: 300,
    });
    await survivor.start();
    await until(() => got.length === 3, 5000);
    expect(got).toEqual([`hung:${event.id}`, `ok:${event.id}`, `ok:${later.id}`]);
    // The hung delivery finally returns: its position write is refused, nothing moves back.
    release?.();
    await dead.workers.stop();
    const position = await dead.log.getPosition('crm', partitionOf('oD', PARTITIONS));
    const tail = await dead.log.readPartition(partitionOf('oD', PARTITIONS), position.cursor, 10);
    expect(tail).toEqual([]);
    await survivor.stop();
  });

  it('renews its lease a tenth of the TTL into a drain, not before every event, and never lets it lapse', async () => {
    const clock = new ManualClock(Date.now());
    const store = new MemoryStore({ clock });
    const log = new MemoryEventLog(() => clock.now());
    const partition = partitionOf('oR', PARTITIONS);
    const lease = `deliver:crm:${partition}`;
    let leaseCalls = 0;
    const acquire = store.acquireLease.bind(store);
    store.acquireLease = (name, owner, ttlMs) => {
      if (owner !== 'rival') leaseCalls++;
      return acquire(name, owner, ttlMs);
    };
    const got: string[] = [];
    const rivalTook: boolean[] = [];
    const consumer: Consumer = {
      name: 'crm',
      filter: {},
      async deliver(event) {
        got.push(event.id);
        rivalTook.push(await store.acquireLease(lease, 'rival', 900));
        clock.advance(30); // a thirtieth of the TTL per delivery
      },
    };
    const events = Array.from({ length: 12 }, () => sampleEvent({ openid: 'oR' }));
    for (const event of events) await log.append(event, partition);
    const workers = new DeliveryWorkers({
      log,
      store,
      consumers: [consumer],
      partitions: PARTITIONS,
      clock,
      leaseTtlMs: 900,
    });
    await workers.start();
    workers.wake(partition);
    await until(() => got.length === 12);
    await workers.stop();
    expect(got).toEqual(events.map((e) => e.id));
    expect(rivalTook.every((took) => !took)).toBe(true);
    // One take, then a renewal every third event: well under one store write per event.
    expect(leaseCalls).toBeLessThanOrEqual(6);
    expect(leaseCalls).toBeGreaterThanOrEqual(4);
  });
});

describe('DeliveryWorkers: store writes per event', () => {
  /** Counts the position writes and lease calls of the workers under test. */
  function counting(log: MemoryEventLog, store: MemoryStore) {
    const calls = { setPosition: 0, acquireLease: 0, releaseLease: 0 };
    const setPosition = log.setPosition.bind(log);
    log.setPosition = (...args) => {
      calls.setPosition++;
      return setPosition(...args);
    };
    const acquire = store.acquireLease.bind(store);
    store.acquireLease = (name, owner, ttlMs) => {
      if (owner !== 'rival') calls.acquireLease++;
      return acquire(name, owner, ttlMs);
    };
    const release = store.releaseLease.bind(store);
    store.releaseLease = (name, owner) => {
      if (owner !== 'rival') calls.releaseLease++;
      return release(name, owner);
    };
    return calls;
  }

  it('writes the position once per batch of events read, not once per event', async () => {
    const crm = recorder('crm');
    const { log, store, workers } = setup([crm.consumer]);
    const partition = partitionOf('oBatch', PARTITIONS);
    const events = Array.from({ length: 30 }, () => sampleEvent({ openid: 'oBatch' }));
    for (const event of events) await log.append(event, partition);
    const calls = counting(log, store);
    await workers.start();
    workers.wake(partition);
    await until(() => crm.got.length === 30);
    await workers.stop();
    expect(crm.got.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(calls.setPosition).toBe(1);
    expect((await log.getPosition('crm', partition)).cursor).not.toBeNull();
    expect(await log.readPartition(partition, (await log.getPosition('crm', partition)).cursor, 10)).toEqual(
      [],
    );
  });

  it('keeps its lease between runs of a busy slot and releases it when it stops', async () => {
    const crm = recorder('crm');
    // A clock that stands still: every run comes within the kept lease's freshness.
    const clock = new ManualClock(Date.now());
    const log = new MemoryEventLog(() => clock.now());
    const store = new MemoryStore({ clock });
    const workers = new DeliveryWorkers({
      log,
      store,
      consumers: [crm.consumer],
      partitions: PARTITIONS,
      clock,
    });
    const push = async (event: PushEvent) => {
      const partition = partitionOf(event.openid, PARTITIONS);
      await log.append(event, partition);
      workers.wake(partition);
    };
    const calls = counting(log, store);
    await workers.start();
    for (let i = 1; i <= 5; i++) {
      await push(sampleEvent({ openid: 'oKeep' }));
      await until(() => crm.got.length === i);
    }
    // Five runs of the slot, one lease take, no release yet.
    expect(calls.acquireLease).toBe(1);
    expect(calls.releaseLease).toBe(0);
    await workers.stop();
    expect(calls.releaseLease).toBe(1);
    expect(await store.acquireLease(`deliver:crm:${partitionOf('oKeep', PARTITIONS)}`, 'rival', 1000)).toBe(
      true,
    );
  });

  it('a hub lost mid-batch: another redelivers from the last written position, the same ids, in order', async () => {
    const got: string[] = [];
    const events = Array.from({ length: 6 }, () => sampleEvent({ openid: 'oLost' }));
    const lost: Consumer = {
      name: 'crm',
      filter: {},
      // Takes three events, then never answers again: a hub killed between two deliveries.
      deliver: (event) => {
        got.push(`lost:${event.id}`);
        return got.length <= 3 ? Promise.resolve() : new Promise<void>(() => undefined);
      },
    };
    const dead = setup([lost], { leaseTtlMs: 200 });
    const partition = partitionOf('oLost', PARTITIONS);
    for (const event of events) await dead.log.append(event, partition);
    await dead.workers.start();
    dead.workers.wake(partition);
    await until(() => got.length === 4);
    const survivor = new DeliveryWorkers({
      log: dead.log,
      store: dead.store,
      consumers: [{ name: 'crm', filter: {}, deliver: async (event) => void got.push(`ok:${event.id}`) }],
      partitions: PARTITIONS,
      pollMs: 20,
      leaseTtlMs: 200,
    });
    await survivor.start();
    await until(() => got.length === 10);
    await survivor.stop();
    const ids = events.map((e) => e.id);
    expect(got).toEqual([...ids.slice(0, 4).map((id) => `lost:${id}`), ...ids.map((id) => `ok:${id}`)]);
  });
});

describe('DeliveryWorkers when the log cannot be watched, and with consumers added at runtime', () => {
  it('starts anyway, delivers by polling, and watches once the store answers', async () => {
    const crm = recorder('crm');
    const { log, workers } = setup([crm.consumer]);
    let refusals = 1;
    const watch = log.watch.bind(log);
    log.watch = async (listener) => {
      if (refusals-- > 0) throw new Error('store unavailable');
      return watch(listener);
    };
    await workers.start();
    // Appended without a wake-up naming the partition: only the poll finds it.
    await log.append(sampleEvent({ openid: 'oPoll' }), partitionOf('oPoll', PARTITIONS));
    await until(() => crm.got.length === 1);
    await workers.stop();
  });

  it('neither polls nor watches the log until there is a consumer', async () => {
    const { log, workers } = setup([]);
    let watches = 0;
    let reads = 0;
    const watch = log.watch.bind(log);
    log.watch = (listener) => {
      watches++;
      return watch(listener);
    };
    const read = log.getPosition.bind(log);
    log.getPosition = (consumer, partition) => {
      reads++;
      return read(consumer, partition);
    };
    await workers.start();
    await new Promise((r) => setTimeout(r, 120));
    expect({ watches, reads }).toEqual({ watches: 0, reads: 0 });
    const crm = recorder('crm');
    workers.add(crm.consumer);
    await until(() => watches === 1);
    await log.append(sampleEvent({ openid: 'oLate' }), partitionOf('oLate', PARTITIONS));
    await until(() => crm.got.length === 1);
    await workers.stop();
  });

  it('delivers to a consumer added after start, and stops delivering to one removed', async () => {
    const crm = recorder('crm');
    const late = recorder('late');
    const { workers, push } = setup([crm.consumer]);
    await workers.start();
    workers.add(late.consumer);
    expect(() => workers.add(late.consumer)).toThrow(/delivered to already/);
    await push(sampleEvent({ openid: 'oA' }));
    await until(() => late.got.length === 1 && crm.got.length === 1);
    expect(await workers.remove('late')).toBe(late.consumer);
    expect(await workers.remove('late')).toBeUndefined();
    await push(sampleEvent({ openid: 'oA' }));
    await until(() => crm.got.length === 2);
    await new Promise((r) => setTimeout(r, 60));
    expect(late.got).toHaveLength(1);
    expect(workers.consumers.map((c) => c.name)).toEqual(['crm']);
    await workers.stop();
  });
});
