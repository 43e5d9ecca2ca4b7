import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/util/clock.js';

describe('clocks', () => {
  it('ManualClock stands still until advanced', () => {
    const clock = new ManualClock(1000);
    expect(clock.now()).toBe(1000);
    expect(clock.advance(7_200_000)).toBe(7_201_000);
    clock.set(5);
    expect(clock.now()).toBe(5);
  });

  it('systemClock follows Date.now', () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(50);
  });
});
