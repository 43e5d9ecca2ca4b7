import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../src/gateway/log/event-log.js';
import { MemoryEventLog } from '../../src/gateway/log/memory-event-log.js';
import { describeEventLogContract } from './event-log-contract.js';

describeEventLogContract('memory', async () => new MemoryEventLog());

describe('partitionOf', () => {
  it('spreads openids over every partition, the same on every call', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const p = partitionOf(`oUser${i}`, 16);
      expect(p).toBe(partitionOf(`oUser${i}`, 16));
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(16);
      seen.add(p);
    }
    expect(seen.size).toBe(16);
    // FNV-1a 32 of "a" is 0xe40c292c: pinned so every hub (and version) agrees.
    expect(partitionOf('a', 1 << 30)).toBe(0xe40c292c % (1 << 30));
  });
});
