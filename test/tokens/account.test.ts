import { describe, expect, it } from 'vitest';
import { resolveAccount } from '../../src/tokens/account.js';

describe('resolveAccount', () => {
  it('defaults to stable tokens refreshed 240 s before expiry, budget 2000', () => {
    expect(resolveAccount({ appid: 'wx1', secret: 's' })).toEqual({
      appid: 'wx1',
      secret: 's',
      tokenMode: 'stable',
      refreshMarginMs: 240_000,
      dailyBudget: 2000,
    });
    expect(resolveAccount({ appid: 'wx1', secret: 's', tokenMode: 'classic' }).refreshMarginMs).toBe(600_000);
  });

  it('names the field in its errors', () => {
    expect(() => resolveAccount({ appid: 'bad appid', secret: 's' })).toThrow(/appid must be/);
    expect(() => resolveAccount({ appid: 'wx1', secret: '' })).toThrow(/secret is required/);
    expect(() => resolveAccount({ appid: 'wx1', secret: 's', tokenMode: 'x' as 'stable' })).toThrow(
      /tokenMode/,
    );
    // a stable token only rotates in its last 300 s, so a longer margin would refresh to the same token
    expect(() => resolveAccount({ appid: 'wx1', secret: 's', refreshMarginSeconds: 400 })).toThrow(
      /30\.\.299/,
    );
    expect(() => resolveAccount({ appid: 'wx1', secret: 's', dailyBudget: 0 })).toThrow(/dailyBudget/);
  });
});
