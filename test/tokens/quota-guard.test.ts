import { describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { resolveAccount } from '../../src/tokens/account.js';
import { QuotaGuard } from '../../src/tokens/quota-guard.js';
import { ManualClock } from '../../src/util/clock.js';
import { quotaDay } from '../../src/wechat/quota-day.js';

const account = resolveAccount({ appid: 'wx1', secret: 's', dailyBudget: 3 });

describe('QuotaGuard', () => {
  it('counts token fetches per Beijing day and refuses past the budget', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 21, 15, 0));
    const guard = new QuotaGuard(new MemoryStore({ clock }), clock);
    for (let i = 1; i <= 3; i++) expect(await guard.spend(account, 'token')).toBe(i);
    const err = await guard.spend(account, 'token').catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_QUOTA_EXHAUSTED')).toBe(true);
    expect(await guard.used('wx1', 'token')).toBe(3);
    clock.advance(3_600_000); // 16:00 UTC is midnight in Beijing
    expect(await guard.spend(account, 'token')).toBe(1);
  });

  it("stops after WeChat's own 45009 until the day turns", async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 21, 15, 0));
    const guard = new QuotaGuard(new MemoryStore({ clock }), clock);
    guard.markExhausted('wx1');
    await expect(guard.spend(account, 'stable')).rejects.toMatchObject({ errcode: 45009 });
    clock.advance(3_600_000);
    await expect(guard.spend(account, 'stable')).resolves.toBe(1);
  });

  it('allows a force_refresh at most every 30 s and 20 times a day', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 21, 1, 0));
    const store = new MemoryStore({ clock });
    const guard = new QuotaGuard(store, clock);
    expect(await guard.allowForce('wx1')).toBe(true);
    expect(await guard.allowForce('wx1')).toBe(false); // inside 30 s
    clock.advance(30_001);
    expect(await guard.allowForce('wx1')).toBe(true);
    await store.incrementCounter('quota:stable_force:wx1', quotaDay(clock.now()), 18); // 20 used
    clock.advance(30_001);
    expect(await guard.allowForce('wx1')).toBe(false); // the 21st of the day
  });
});
