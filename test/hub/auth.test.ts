import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_A, APP_B, bearer, type TestHub, testHub } from './support/hub-fixture.js';

const ROUTES = [
  {
    method: 'GET' as const,
    path: (appid: string) => `/v1/accounts/${appid}/access-token`,
    scope: 'token' as const,
  },
  {
    method: 'POST' as const,
    path: (appid: string) => `/v1/accounts/${appid}/access-token/refresh`,
    scope: 'refresh' as const,
    payload: { stale_token: 'x' },
  },
  {
    method: 'GET' as const,
    path: (appid: string) => `/v1/accounts/${appid}/jsapi-ticket`,
    scope: 'token' as const,
  },
  {
    method: 'POST' as const,
    path: (appid: string) => `/v1/accounts/${appid}/jsapi-signature`,
    scope: 'token' as const,
    payload: { url: 'https://x.example/' },
  },
];

describe('/v1 authentication and authorization', () => {
  let t: TestHub;
  let good: string;
  let revoked: string;
  let otherAppid: string;
  let wrongScope: string;
  let admin: string;

  beforeAll(async () => {
    t = await testHub();
    good = await t.key(['token', 'refresh'], [APP_A]);
    revoked = await t.key(['token', 'refresh'], [APP_A]);
    await t.hub.services.keys.revoke(revoked);
    otherAppid = await t.key(['token', 'refresh'], [APP_B]);
    wrongScope = await t.key(['proxy', 'oauth'], [APP_A]);
    admin = await t.key(['admin'], []);
  });
  afterAll(() => t.close());

  for (const route of ROUTES) {
    describe(`${route.method} ${route.path(':appid')}`, () => {
      const call = (headers: Record<string, string>, appid = APP_A) =>
        t.hub.app.inject({
          method: route.method,
          url: route.path(appid),
          headers,
          ...(route.payload ? { payload: route.payload } : {}),
        });
      const expectError = (res: Awaited<ReturnType<typeof call>>, status: number, code: string) => {
        expect(res.statusCode).toBe(status);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const body = res.json();
        expect(body.error.code).toBe(code);
        expect(typeof body.error.message).toBe('string');
        expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
      };

      it('missing key: 401', async () => {
        const res = await call({});
        expectError(res, 401, 'WXHUB_ERR_UNAUTHORIZED');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      });

      it('not a bearer header: 401', async () => {
        expectError(await call({ authorization: `Basic ${good}` }), 401, 'WXHUB_ERR_UNAUTHORIZED');
      });

      it('wrong key (right id, wrong secret): 401', async () => {
        const wrong = `${good.slice(0, -4)}${good.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
        const res = await call(bearer(wrong));
        expectError(res, 401, 'WXHUB_ERR_UNAUTHORIZED');
        expect(res.body).not.toContain(wrong);
      });

      it('unknown key id and malformed keys: 401', async () => {
        expectError(
          await call(bearer(`wxk_0123456789abcdef_${'A'.repeat(43)}`)),
          401,
          'WXHUB_ERR_UNAUTHORIZED',
        );
        expectError(await call(bearer('not-a-key')), 401, 'WXHUB_ERR_UNAUTHORIZED');
      });

      it('revoked key: 401', async () => {
        expectError(await call(bearer(revoked)), 401, 'WXHUB_ERR_UNAUTHORIZED');
      });

      it('key lacking the appid: 403', async () => {
        expectError(await call(bearer(otherAppid)), 403, 'WXHUB_ERR_FORBIDDEN');
      });

      it('key lacking the scope: 403', async () => {
        expectError(await call(bearer(wrongScope)), 403, 'WXHUB_ERR_FORBIDDEN');
      });

      it('unknown appid: 404', async () => {
        expectError(await call(bearer(admin), 'wxnotconfigured000'), 404, 'WXHUB_ERR_UNKNOWN_ACCOUNT');
        expectError(await call(bearer(good), 'wxnotconfigured000'), 404, 'WXHUB_ERR_UNKNOWN_ACCOUNT');
      });

      it('the right key passes (admin for any appid)', async () => {
        expect((await call(bearer(good))).statusCode).toBe(200);
        expect((await call(bearer(admin), APP_B)).statusCode).toBe(200);
      });
    });
  }

  it('checks the key before reading the body: no key and a 10 MB body is a 401, not a 413', async () => {
    const res = await t.hub.app.inject({
      method: 'POST',
      url: `/v1/accounts/${APP_A}/jsapi-signature`,
      headers: { 'content-type': 'application/json' },
      payload: 'x'.repeat(10 * 1024 * 1024),
    });
    expect(res.statusCode).toBe(401);
  });

  it('checks the key before the content type and the schema: 401 for a text body or a bad field', async () => {
    for (const [route, payload] of [
      [`/v1/accounts/${APP_A}/access-token/refresh`, { stale_token: 5 }],
      ['/v1/oauth/tickets/redeem', { ticket: '' }],
    ] as const) {
      const text = await t.hub.app.inject({
        method: 'POST',
        url: route,
        headers: { 'content-type': 'text/plain' },
        payload: 'x',
      });
      expect(text.statusCode, route).toBe(401);
      const bad = await t.hub.app.inject({
        method: 'POST',
        url: route,
        headers: bearer(wrongScope),
        payload,
      });
      expect(bad.statusCode, route).toBe(route.includes('oauth') ? 400 : 403);
    }
  });

  it('the ticket redeem has the same gate: 401 without a key, 403 without the oauth scope', async () => {
    const call = (headers: Record<string, string>) =>
      t.hub.app.inject({
        method: 'POST',
        url: '/v1/oauth/tickets/redeem',
        headers,
        payload: { ticket: 'x' },
      });
    expect((await call({})).statusCode).toBe(401);
    expect((await call(bearer(good))).json().error.code).toBe('WXHUB_ERR_FORBIDDEN');
    expect((await call(bearer(wrongScope))).json().error.code).toBe('WXHUB_ERR_OAUTH_TICKET');
  });

  it('a revocation in this process takes effect at once, despite the cache', async () => {
    const key = await t.key(['token'], [APP_A]);
    const url = `/v1/accounts/${APP_A}/access-token`;
    expect((await t.hub.app.inject({ url, headers: bearer(key) })).statusCode).toBe(200);
    expect(await t.hub.services.keys.revoke(key)).toBe(true);
    expect((await t.hub.app.inject({ url, headers: bearer(key) })).statusCode).toBe(401);
  });
});
