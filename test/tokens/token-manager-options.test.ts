import { describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { TokenManager, type TokenManagerOptions } from '../../src/tokens/token-manager.js';
import { resolveTokenManagerOptions } from '../../src/tokens/token-manager-options.js';

const store = new MemoryStore();

function problemsOf(options: unknown): string {
  try {
    new TokenManager(options as TokenManagerOptions);
  } catch (err) {
    expect(isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('constructed');
}

describe('TokenManager options', () => {
  it('fills in the documented defaults and freezes the result', () => {
    const settings = resolveTokenManagerOptions({ store, accounts: [{ appid: 'wx1', secret: 's' }] });
    expect(settings).toMatchObject({
      expiryMarginMs: 60_000,
      jitterMs: 60_000,
      revalidateMs: 5_000,
      configErrorCooldownMs: 300_000,
      retryAfterFailureMs: 30_000,
      leaseTtlMs: 15_000,
      waitTimeoutMs: 20_000,
      refreshConcurrency: 64,
      endpoints: { api: 'https://api.weixin.qq.com', open: 'https://open.weixin.qq.com' },
      accounts: [{ appid: 'wx1', tokenMode: 'stable', refreshMarginMs: 240_000, dailyBudget: 2000 }],
    });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.accounts)).toBe(true);
    expect(() =>
      resolveTokenManagerOptions({ store, accounts: [], endpoints: { api: 'http://127.0.0.1:1' } }),
    ).not.toThrow();
  });

  it('reports every problem at once, each naming its option', () => {
    const message = problemsOf({
      store: { kind: 'memory' },
      accounts: [
        { appid: 'bad appid', secret: '', tokenMode: 'fast' },
        { appid: 'wx1', secret: 's', dailyBudget: 0 },
        { appid: 'wx1', secret: 't' },
      ],
      endpoints: { api: 'ftp://example.com' },
      clock: {},
      retryStrategy: 3,
      expiryMarginMs: 7_200_000,
      jitterMs: -1,
      revalidateMs: Number.NaN,
      configErrorCooldownMs: '300000',
      retryAfterFailureMs: -5,
      leaseTtlMs: 1.5,
      waitTimeoutMs: 0,
      refreshConcurrency: 0,
      expiryMargin: 60_000,
    });
    for (const expected of [
      'store: has no getCredential, compareAndSetCredential, acquireLease',
      'accounts[0]: appid must be 1-64 of [A-Za-z0-9_-]',
      'accounts[0]: secret is required',
      'accounts[0]: tokenMode must be "stable" or "classic"',
      'accounts[1]: dailyBudget must be a positive integer',
      "accounts[2]: appid is the same as accounts[1]'s",
      'endpoints.api: must be an http(s) URL',
      'clock: has no now method',
      'retryStrategy: must be a function',
      'expiryMarginMs: must be a number in 0..3600000',
      'jitterMs: must be a number ≥ 0',
      'revalidateMs: must be a number',
      'configErrorCooldownMs: must be a number',
      'retryAfterFailureMs: must be a number ≥ 0',
      'leaseTtlMs: must be an integer',
      'waitTimeoutMs: must be an integer ≥ 1',
      'refreshConcurrency: must be an integer in 1..100000',
      'expiryMargin: unknown option',
    ]) {
      expect(message).toContain(expected);
    }
    expect(message).toMatch(/^Invalid argument: TokenManager options: /);
  });

  it('requires a store and an account list, and never quotes a secret', () => {
    const message = problemsOf({ accounts: [{ appid: 'has space', secret: 'TOPSECRET-value' }] });
    expect(message).toContain('store: is required');
    expect(message).not.toContain('TOPSECRET');
    expect(problemsOf({ store })).toContain('accounts: must be an array');
    expect(problemsOf(null)).toContain('TokenManager options must be an object');
  });

  it('accepts the edges of each range', () => {
    expect(
      () =>
        new TokenManager({
          store,
          accounts: [],
          expiryMarginMs: 0,
          jitterMs: 0,
          revalidateMs: 0,
          configErrorCooldownMs: 0,
          retryAfterFailureMs: 0,
          leaseTtlMs: 1,
          waitTimeoutMs: 1,
          refreshConcurrency: 1,
        }),
    ).not.toThrow();
    expect(() => new TokenManager({ store, accounts: [], expiryMarginMs: 3_600_000 })).not.toThrow();
  });
});
