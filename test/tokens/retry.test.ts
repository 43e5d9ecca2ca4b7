import { describe, expect, it } from 'vitest';
import { exponentialBackoff } from '../../src/tokens/retry.js';

describe('exponentialBackoff', () => {
  it('doubles from base up to the cap, within [d/2, d], then gives up', () => {
    const low = exponentialBackoff({ retries: 5, baseMs: 100, capMs: 1000, random: () => 0 });
    const high = exponentialBackoff({ retries: 5, baseMs: 100, capMs: 1000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5].map(low)).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map(high)).toEqual([100, 200, 400, 800, 1000]);
    expect(low(6)).toBeNull();
  });

  it('defaults to three retries', () => {
    const strategy = exponentialBackoff();
    expect(strategy(3)).not.toBeNull();
    expect(strategy(4)).toBeNull();
  });
});
