import { describe, expect, it } from 'vitest';
import { DueQueue } from '../../src/tokens/due-queue.js';

describe('DueQueue', () => {
  it('pops only what is due, earliest first', () => {
    const q = new DueQueue<string>();
    q.push(30, 'c');
    q.push(10, 'a');
    q.push(20, 'b');
    expect(q.popDue(5)).toBeUndefined();
    expect(q.hasDue(10)).toBe(true);
    expect(q.popDue(25)).toBe('a');
    expect(q.popDue(25)).toBe('b');
    expect(q.popDue(25)).toBeUndefined();
    expect(q.size).toBe(1);
    expect(q.popDue(30)).toBe('c');
    expect(q.size).toBe(0);
  });

  it('keeps heap order over many random pushes and pops', () => {
    const q = new DueQueue<number>();
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pushed: number[] = [];
    const popped: number[] = [];
    const drain = (now: number) => {
      let previous = Number.NEGATIVE_INFINITY;
      for (let item = q.popDue(now); item !== undefined; item = q.popDue(now)) {
        expect(item).toBeLessThanOrEqual(now);
        expect(item).toBeGreaterThanOrEqual(previous);
        previous = item;
        popped.push(item);
      }
    };
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 500; i++) {
        const at = Math.floor(random() * 10_000);
        pushed.push(at);
        q.push(at, at);
      }
      drain(round * 500);
    }
    drain(Number.POSITIVE_INFINITY);
    expect(q.size).toBe(0);
    expect(popped.sort((a, b) => a - b)).toEqual(pushed.sort((a, b) => a - b));
  });
});
