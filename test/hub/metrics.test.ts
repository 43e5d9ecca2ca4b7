import { describe, expect, it } from 'vitest';
import { APP_A, APP_B, bearer, SECRET_A, SECRET_B, testHub } from './support/hub-fixture.js';

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.lastIndexOf('}'));
    const found = Object.fromEntries([...inside.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('exposes token age, refreshes, upstream calls, quota and request latency, without secrets', async () => {
    const t = await testHub();
    try {
      const key = await t.key(['token', 'refresh', 'proxy'], [APP_A]);
      const token = (
        await t.hub.app.inject({ url: `/v1/accounts/${APP_A}/access-token`, headers: bearer(key) })
      ).json();
      await t.hub.app.inject({
        method: 'POST',
        url: `/v1/accounts/${APP_A}/access-token/refresh`,
        headers: bearer(key),
        payload: { stale_token: token.access_token },
      });
      t.fake.invalidate(APP_A);
      await t.hub.app.inject({ url: `/cgi-bin/user/info?access_token=${key}&openid=o1` });
      t.clock.advance(30_000);

      const res = await t.hub.app.inject({ url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      const text = res.body;

      expect(sample(text, 'wxhub_token_age_seconds', { appid: APP_A })).toBe(30);
      expect(sample(text, 'wxhub_token_age_seconds', { appid: APP_B })).toBeUndefined();
      expect(sample(text, 'wxhub_token_expires_in_seconds', { appid: APP_A })).toBe(7170);
      const refreshes = (reason: string) =>
        sample(text, 'wxhub_refreshes_total', {
          appid: APP_A,
          kind: 'access_token',
          reason,
          outcome: 'fetched',
        });
      expect(refreshes('missing')).toBe(1);
      expect(refreshes('stale')).toBe(2);
      expect(
        sample(text, 'wxhub_upstream_calls_total', { appid: APP_A, path: '/cgi-bin/token', errcode: '0' }),
      ).toBe(3);
      expect(
        sample(text, 'wxhub_upstream_calls_total', {
          appid: APP_A,
          path: '/cgi-bin/user/info',
          errcode: '40001',
        }),
      ).toBe(1);
      expect(
        sample(text, 'wxhub_upstream_calls_total', {
          appid: APP_A,
          path: '/cgi-bin/user/info',
          errcode: '0',
        }),
      ).toBe(1);
      expect(sample(text, 'wxhub_proxy_token_retries_total', { appid: APP_A })).toBe(1);
      expect(sample(text, 'wxhub_quota_used_today', { appid: APP_A, counter: 'token' })).toBe(3);
      expect(sample(text, 'wxhub_quota_used_today', { appid: APP_B, counter: 'token' })).toBe(0);
      expect(
        sample(text, 'wxhub_http_request_duration_seconds_count', {
          route: '/v1/accounts/:appid/access-token',
          method: 'GET',
          status: '200',
        }),
      ).toBe(1);
      expect(
        sample(text, 'wxhub_http_request_duration_seconds_count', {
          route: '/cgi-bin/*',
          method: 'GET',
          status: '200',
        }),
      ).toBe(1);
      expect(text).toContain('wxhub_process_cpu_seconds_total');
      expect(text).not.toContain('wxhub_process_process_');

      for (const secret of [SECRET_A, SECRET_B, key, token.access_token, t.fake.current(APP_A)!]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await t.close();
    }
  });

  it('counts auth failures and rate-limited requests by reason, and each hub has its own registry', async () => {
    const t = await testHub();
    const other = await testHub();
    try {
      await t.hub.app.inject({ url: `/v1/accounts/${APP_A}/access-token` });
      await t.hub.app.inject({ url: `/cgi-bin/user/info?access_token=junk&openid=o1` });
      const text = (await t.hub.app.inject({ url: '/metrics' })).body;
      expect(sample(text, 'wxhub_auth_failures_total', { reason: 'missing_key' })).toBe(1);
      expect(sample(text, 'wxhub_auth_failures_total', { reason: 'invalid_token' })).toBe(1);
      const otherText = (await other.hub.app.inject({ url: '/metrics' })).body;
      expect(sample(otherText, 'wxhub_auth_failures_total', { reason: 'missing_key' })).toBeUndefined();
    } finally {
      await t.close();
      await other.close();
    }
  });

  it('labels by route pattern: no text a caller chose becomes a label value', async () => {
    const t = await testHub();
    try {
      const key = await t.key(['proxy'], [APP_A]);
      const keyShaped = `wxk_${'0'.repeat(16)}_${'S3cr3t'.repeat(7)}x`;
      const chosen = ['<script>alert(1)</script>', keyShaped, 'drop_table_users', 'a'.repeat(150)];
      for (const segment of chosen) {
        await t.hub.app.inject({ url: `/cgi-bin/${segment}?access_token=${key}` });
        await t.hub.app.inject({ url: `/sns/${segment}?access_token=${key}` });
        await t.hub.app.inject({ url: `/${segment}?access_token=${key}` });
      }
      await t.hub.app.inject({ url: `/cgi-bin/user/info?access_token=${key}&openid=o1` });
      const text = (await t.hub.app.inject({ url: '/metrics' })).body;
      for (const segment of [...chosen, '<script', key]) expect(text).not.toContain(segment);
      // Proxied paths a caller made up count under the route; the APIs WeChat has keep their name.
      expect(
        sample(text, 'wxhub_upstream_calls_total', { appid: APP_A, path: '/cgi-bin/*', errcode: '40066' }),
      ).toBe(3);
      expect(
        sample(text, 'wxhub_upstream_calls_total', {
          appid: APP_A,
          path: '/cgi-bin/user/info',
          errcode: '0',
        }),
      ).toBe(1);
      const paths = [...text.matchAll(/wxhub_upstream_calls_total\{[^}]*path="([^"]*)"/g)].map((m) => m[1]);
      expect(new Set(paths)).toEqual(
        new Set(['/cgi-bin/token', '/cgi-bin/*', '/sns/*', '/cgi-bin/user/info']),
      );
      const routes = [...text.matchAll(/wxhub_http_request_duration_seconds_count\{route="([^"]*)"/g)].map(
        (m) => m[1],
      );
      expect(new Set(routes)).toEqual(new Set(['/cgi-bin/*', '/sns/*', 'unmatched']));
    } finally {
      await t.close();
    }
  });
});
