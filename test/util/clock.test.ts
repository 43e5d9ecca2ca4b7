import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Clock, ManualClock, systemClock } from '../../src/util/clock.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('systemClock', () => {
  it('is Date.now, to the millisecond, wherever the wall clock goes', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    for (const at of [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1, 2), Date.UTC(2030, 5, 15, 12, 0, 0, 7), 0]) {
      vi.setSystemTime(at);
      expect(systemClock.now()).toBe(at);
    }
  });

  it('is shared by every module, so it cannot be replaced or changed', () => {
    expect(Object.isFrozen(systemClock)).toBe(true);
    expect(() => {
      (systemClock as { now: () => number }).now = () => 0;
    }).toThrow(TypeError);
  });
});

describe('ManualClock', () => {
  it('starts at the given instant, by default 2026-01-01T00:00:00Z', () => {
    expect(new ManualClock(1000).now()).toBe(1000);
    expect(new ManualClock().now()).toBe(Date.UTC(2026, 0, 1));
    expect(new ManualClock(0).now()).toBe(0);
  });

  it('stands still while real time passes', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 0, 1));
    const clock = new ManualClock(5000);
    vi.setSystemTime(Date.UTC(2026, 0, 1) + 3_600_000);
    expect(clock.now()).toBe(5000);
    expect(clock.now()).toBe(5000);
  });

  it('advances by the given milliseconds, cumulatively, and answers the new instant', () => {
    const clock = new ManualClock(1000);
    expect(clock.advance(7_200_000)).toBe(7_201_000);
    expect(clock.now()).toBe(7_201_000);
    expect(clock.advance(500)).toBe(7_201_500);
    expect(clock.advance(0)).toBe(7_201_500);
    expect(clock.now()).toBe(7_201_500);
  });

  it('is set to any instant, after which advance counts from there', () => {
    const clock = new ManualClock(1000);
    clock.set(5);
    expect(clock.now()).toBe(5);
    expect(clock.advance(10)).toBe(15);
    clock.set(Date.UTC(2027, 0, 1));
    expect(clock.now()).toBe(Date.UTC(2027, 0, 1));
  });

  it('keeps each instance its own time, and serves as a Clock', () => {
    const a = new ManualClock(100);
    const b = new ManualClock(100);
    a.advance(50);
    b.set(7);
    expect([a.now(), b.now()]).toEqual([150, 7]);
    const asClock: Clock = a;
    expect(asClock.now()).toBe(150);
  });
});
