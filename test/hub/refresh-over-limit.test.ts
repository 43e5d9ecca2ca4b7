import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { APP_A, bearer, testHub } from './support/hub-fixture.js';

describe('refresh reports over the rate limit', () => {
  it('a report of a token already replaced is answered from memory; one that would refresh gets 429', async () => {
    const t = await testHub();
    try {
      const key = await t.key(['token', 'refresh'], [APP_A], { perSecond: 0.001, burst: 2 });
      const url = `/v1/accounts/${APP_A}/access-token/refresh`;
      const report = (stale: string) =>
        t.hub.app.inject({ method: 'POST', url, headers: bearer(key), payload: { stale_token: stale } });
      const first = await t.hub.app.inject({
        url: `/v1/accounts/${APP_A}/access-token`,
        headers: bearer(key),
      });
      const old = first.json().access_token as string;
      const fresh = await report(old); // within the burst: refreshes
      expect(fresh.statusCode).toBe(200);
      const current = fresh.json().access_token as string;
      expect(current).not.toBe(old);
      // Over the limit now: late reports of the old token are still answered, with the new one.
      for (let i = 0; i < 5; i++) {
        const late = await report(old);
        expect(late.statusCode).toBe(200);
        expect(late.json().access_token).toBe(current);
      }
      // A report of the current token would make the hub refresh: refused.
      const refused = await report(current);
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.code).toBe('WXHUB_ERR_RATE_LIMITED');
      expect(refused.headers['retry-after']).toBeDefined();
    } finally {
      await t.close();
    }
  });

  it('the default limits carry a fleet of hundreds of workers behind one key', () => {
    const { rateLimit } = configSchema.parse({});
    expect(rateLimit.burst).toBeGreaterThanOrEqual(1000);
    expect(rateLimit.perSecond).toBeGreaterThanOrEqual(500);
  });
});
