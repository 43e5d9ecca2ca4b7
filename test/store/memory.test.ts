import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('memory', () => new MemoryStore(), { shared: false, watchBoundMs: 50 });

describe('MemoryStore', () => {
  it('expires leases, counters and once keys by its injected clock', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    expect(await store.acquireLease('l', 'a', 1000)).toBe(true);
    await store.incrementCounter('c', 'day', 4, 1000);
    await store.putOnce('o', 'v', 1000);
    clock.advance(999);
    expect(await store.acquireLease('l', 'b', 1000)).toBe(false);
    expect(await store.getCounter('c', 'day')).toBe(4);
    clock.advance(1);
    expect(await store.acquireLease('l', 'b', 1000)).toBe(true);
    expect(await store.getCounter('c', 'day')).toBe(0);
    expect(await store.takeOnce('o')).toBeNull();
  });
});
