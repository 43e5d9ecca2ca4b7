import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/hub/rate-limit/rate-limiter.js';
import { ManualClock } from '../../src/util/clock.js';
import { APP_A, bearer, testHub } from './support/hub-fixture.js';

describe('RateLimiter', () => {
  it('allows a burst, then refills at perSecond', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, clock);
    expect([1, 2, 3].map(() => limiter.take('k').ok)).toEqual([true, true, true]);
    expect(limiter.take('k')).toEqual({ ok: false, retryAfterSeconds: 1 });
    clock.advance(500);
    expect(limiter.take('k').ok).toBe(true);
    expect(limiter.take('k').ok).toBe(false);
    expect(limiter.take('other').ok).toBe(true);
  });

  it('uses a per-key limit over the default', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perSecond: 100, burst: 100 }, clock);
    expect(limiter.take('k', { perSecond: 0.1, burst: 1 }).ok).toBe(true);
    expect(limiter.take('k', { perSecond: 0.1, burst: 1 })).toEqual({ ok: false, retryAfterSeconds: 10 });
  });
});

describe('rate limits on the hub', () => {
  it('a key over its own limit gets 429 with Retry-After on /v1, and 45011 (HTTP 200) on the drop-in', async () => {
    const t = await testHub();
    try {
      const key = await t.key(['token', 'proxy'], [APP_A], { perSecond: 1, burst: 2 });
      const url = `/v1/accounts/${APP_A}/access-token`;
      expect((await t.hub.app.inject({ url, headers: bearer(key) })).statusCode).toBe(200);
      expect((await t.hub.app.inject({ url, headers: bearer(key) })).statusCode).toBe(200);
      const limited = await t.hub.app.inject({ url, headers: bearer(key) });
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['retry-after']).toBe('1');
      expect(limited.json().error.code).toBe('WXHUB_ERR_RATE_LIMITED');
      const dropIn = await t.hub.app.inject({
        url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secret=${key}`,
      });
      for (const res of [
        dropIn,
        await t.hub.app.inject({ url: `/cgi-bin/user/info?access_token=${key}&openid=o1` }),
      ]) {
        expect(res.statusCode).toBe(200);
        expect(res.json().errcode).toBe(45011);
        expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_RATE_LIMITED');
        expect(res.headers['retry-after']).toBe('1');
      }
      t.clock.advance(1000);
      expect((await t.hub.app.inject({ url, headers: bearer(key) })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('the configured default applies to keys without their own limit, each key its own bucket', async () => {
    const t = await testHub({ config: { rateLimit: { perSecond: 1, burst: 1 } } });
    try {
      const a = await t.key(['token'], [APP_A]);
      const b = await t.key(['token'], [APP_A]);
      const drop = (key: string) =>
        t.hub.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secret=${key}` });
      expect((await drop(a)).statusCode).toBe(200);
      const limited = await drop(a);
      expect(limited.statusCode).toBe(200);
      expect(limited.json().errcode).toBe(45011);
      expect((await drop(b)).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
