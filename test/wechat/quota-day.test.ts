import { describe, expect, it } from 'vitest';
import { quotaDay, quotaMonth } from '../../src/wechat/quota-day.js';

describe('quotaDay', () => {
  it('turns at midnight Beijing time (16:00 UTC)', () => {
    expect(quotaDay(Date.UTC(2026, 10, 21, 15, 59, 59))).toBe('2026-11-21');
    expect(quotaDay(Date.UTC(2026, 10, 21, 16, 0, 0))).toBe('2026-11-22');
    expect(quotaMonth(Date.UTC(2026, 10, 30, 16, 0, 0))).toBe('2026-12');
  });
});

describe('numeric windows', () => {
  it('agree with the string windows', async () => {
    const { quotaDayIndex, quotaMonthIndex, beijingWallTime } = await import('../../src/wechat/quota-day.js');
    const before = Date.UTC(2026, 10, 30, 15, 59, 59);
    const after = before + 1000;
    expect(quotaDayIndex(after) - quotaDayIndex(before)).toBe(1);
    expect(quotaMonthIndex(after) - quotaMonthIndex(before)).toBe(1);
    expect(beijingWallTime(after)).toBe('2026-12-01 00:00:00');
  });
});
