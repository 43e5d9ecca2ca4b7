import { describe, expect, it } from 'vitest';
import { accountProblems, resolveAccount } from '../../src/tokens/account.js';

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

  it('names every bad field at once, never the secret', () => {
    const bad = { appid: 'wx1', secret: 'TOPSECRET', refreshMarginSeconds: 10, dailyBudget: 1.5 };
    expect(accountProblems(bad)).toEqual([
      'refreshMarginSeconds must be 30..299 for stable tokens',
      'dailyBudget must be a positive integer',
    ]);
    expect(() => resolveAccount(bad)).toThrow(/refreshMarginSeconds.*; dailyBudget/);
    expect(() => resolveAccount(bad)).not.toThrow(/TOPSECRET/);
    expect(accountProblems({ appid: '', secret: '' })).toHaveLength(2);
    expect(accountProblems(null as never)).toEqual(['must be an object {appid, secret, ...}']);
  });
});
