import { describe, expect, it } from 'vitest';
import { quotaDay, quotaMonth } from '../../src/wechat/quota-day.js';

describe('quotaDay', () => {
  it('turns at midnight Beijing time (16:00 UTC)', () => {
    expect(quotaDay(Date.UTC(2026, 10, 21, 15, 59, 59))).toBe('2026-11-21');
    expect(quotaDay(Date.UTC(2026, 10, 21, 16, 0, 0))).toBe('2026-11-22');
    expect(quotaMonth(Date.UTC(2026, 10, 30, 16, 0, 0))).toBe('2026-12');
  });
});
