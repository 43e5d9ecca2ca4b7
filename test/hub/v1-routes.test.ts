import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsapiSignature } from '../../src/wechat/jssdk-signature.js';
import { APP_A, APP_B, APP_C, bearer, SECRET_C, type TestHub, testHub } from './support/hub-fixture.js';

describe('/v1 credential routes', () => {
  let t: TestHub;
  let tokenKey: string;
  let refreshKey: string;

  beforeAll(async () => {
    t = await testHub();
    tokenKey = await t.key(['token']);
    refreshKey = await t.key(['token', 'refresh']);
  });
  afterAll(() => t.close());

  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, key: string | null, payload?: object) =>
    t.hub.app.inject({
      method,
      url,
      headers: key ? bearer(key) : {},
      ...(payload === undefined ? {} : { payload }),
    });

  it('GET access-token answers the real token with expires_in (seconds left) and expires_at (epoch s)', async () => {
    const res = await inject('GET', `/v1/accounts/${APP_A}/access-token`, tokenKey);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.access_token).toBe(t.fake.current(APP_A));
    expect(body.expires_at).toBe(Math.floor((t.clock.now() + 7_200_000) / 1000));
    expect(body.expires_in).toBe(7200);
    t.clock.advance(100_000);
    const later = (await inject('GET', `/v1/accounts/${APP_A}/access-token`, tokenKey)).json();
    expect(later.access_token).toBe(body.access_token);
    expect(later.expires_in).toBe(7100);
    expect(t.fake.callsTo('/cgi-bin/token')).toHaveLength(1);
  });

  it('POST refresh refreshes only when stale_token is current, and always answers the current token', async () => {
    const keyB = await t.key(['refresh', 'token'], [APP_B]);
    const first = (await inject('GET', `/v1/accounts/${APP_B}/access-token`, keyB)).json();
    const fetches = t.fake.callsTo('/cgi-bin/token').length;
    const res = await inject('POST', `/v1/accounts/${APP_B}/access-token/refresh`, keyB, {
      stale_token: first.access_token,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.access_token).not.toBe(first.access_token);
    expect(body.access_token).toBe(t.fake.current(APP_B));
    expect(body.expires_in).toBe(7200);
    expect(t.fake.callsTo('/cgi-bin/token')).toHaveLength(fetches + 1);
    // The old token reported again: no fetch, the current token back.
    const again = await inject('POST', `/v1/accounts/${APP_B}/access-token/refresh`, keyB, {
      stale_token: first.access_token,
    });
    expect(again.json().access_token).toBe(body.access_token);
    expect(t.fake.callsTo('/cgi-bin/token')).toHaveLength(fetches + 1);
  });

  it('POST refresh needs the refresh scope and a stale_token', async () => {
    const noScope = await inject('POST', `/v1/accounts/${APP_A}/access-token/refresh`, tokenKey, {
      stale_token: 'x',
    });
    expect(noScope.statusCode).toBe(403);
    expect(noScope.json().error.code).toBe('WXHUB_ERR_FORBIDDEN');
    const missing = await inject('POST', `/v1/accounts/${APP_A}/access-token/refresh`, refreshKey, {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: 'WXHUB_ERR_INVALID_ARGUMENT' });
    expect(missing.json().error.message).toContain('stale_token');
    const wrongType = await inject('POST', `/v1/accounts/${APP_A}/access-token/refresh`, refreshKey, {
      stale_token: 5,
    });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error.message).toContain('stale_token');
  });

  it('GET jsapi-ticket answers jsapi by default and wx_card on request; other types are 400', async () => {
    const jsapi = await inject('GET', `/v1/accounts/${APP_A}/jsapi-ticket`, tokenKey);
    expect(jsapi.statusCode).toBe(200);
    expect(jsapi.json()).toMatchObject({ type: 'jsapi', expires_in: 7200 });
    expect(jsapi.json().ticket).toMatch(/^ticket-jsapi-/);
    expect(jsapi.json().expires_at).toBe(Math.floor(t.clock.now() / 1000) + 7200);
    const card = await inject('GET', `/v1/accounts/${APP_A}/jsapi-ticket?type=wx_card`, tokenKey);
    expect(card.json().ticket).toMatch(/^ticket-wx_card-/);
    const bad = await inject('GET', `/v1/accounts/${APP_A}/jsapi-ticket?type=other`, tokenKey);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('type');
  });

  it('POST jsapi-signature signs the URL with the current jsapi ticket', async () => {
    const ticket = (await inject('GET', `/v1/accounts/${APP_A}/jsapi-ticket`, tokenKey)).json()
      .ticket as string;
    const url = 'https://shop.example.com/page?a=1#frag';
    const res = await inject('POST', `/v1/accounts/${APP_A}/jsapi-signature`, tokenKey, { url });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ appId: APP_A, timestamp: Math.floor(t.clock.now() / 1000) });
    expect(body.nonceStr).toMatch(/^[A-Za-z0-9]+$/);
    expect(body.signature).toBe(
      jsapiSignature({ jsapi_ticket: ticket, noncestr: body.nonceStr, timestamp: body.timestamp, url }),
    );
  });

  it('POST jsapi-signature refuses a missing or non-http url, naming the field', async () => {
    for (const payload of [{}, { url: 'javascript:alert(1)' }, { url: 42 }, { link: 'https://x' }]) {
      const res = await inject('POST', `/v1/accounts/${APP_A}/jsapi-signature`, tokenKey, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.message).toContain('url');
    }
  });

  it("a token WeChat will not give is a 503 with the registry code and WeChat's errcode, no secret", async () => {
    const fake = t.fake;
    fake.override('/cgi-bin/stable_token', (_request, reply) =>
      reply
        .header('content-type', 'application/json')
        .serializer((p: unknown) => p as string)
        .send('{"errcode":40125,"errmsg":"invalid appsecret rid: 1"}'),
    );
    try {
      const key = await t.key(['token'], [APP_C]);
      const res = await inject('GET', `/v1/accounts/${APP_C}/jsapi-ticket`, key);
      expect(res.statusCode).toBe(503);
      const { error } = res.json();
      expect(error.code).toBe('WXHUB_ERR_ACCOUNT_DISABLED');
      expect(error.errcode).toBe(40125);
      expect(res.body).not.toContain(SECRET_C);
    } finally {
      fake.override('/cgi-bin/stable_token', undefined);
    }
  });

  describe('malformed requests never crash and never answer 500', () => {
    const url = `/v1/accounts/${APP_A}/jsapi-signature`;

    it('bad JSON is a 400', async () => {
      const res = await t.hub.app.inject({
        method: 'POST',
        url,
        headers: { ...bearer(tokenKey), 'content-type': 'application/json' },
        payload: '{"url": ',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('WXHUB_ERR_INVALID_ARGUMENT');
    });

    it('a wrong content type is a 415', async () => {
      const res = await t.hub.app.inject({
        method: 'POST',
        url,
        headers: { ...bearer(tokenKey), 'content-type': 'application/xml' },
        payload: '<url/>',
      });
      expect(res.statusCode).toBe(415);
      expect(res.json().error.code).toBe('WXHUB_ERR_UNSUPPORTED_MEDIA_TYPE');
    });

    it('a text body is a 415, as the docs promise for any body that is not application/json', async () => {
      for (const route of [url, `/v1/accounts/${APP_A}/access-token/refresh`, '/v1/oauth/tickets/redeem']) {
        const res = await t.hub.app.inject({
          method: 'POST',
          url: route,
          headers: { ...bearer(await t.key(['admin'])), 'content-type': 'text/plain; charset=utf-8' },
          payload: 'https://x.example',
        });
        expect(res.statusCode, route).toBe(415);
        expect(res.json().error.code).toBe('WXHUB_ERR_UNSUPPORTED_MEDIA_TYPE');
      }
    });

    it('a 10 MB body is a 413', async () => {
      const res = await t.hub.app.inject({
        method: 'POST',
        url,
        headers: { ...bearer(tokenKey), 'content-type': 'application/json' },
        payload: JSON.stringify({ url: `https://x.example/${'a'.repeat(10 * 1024 * 1024)}` }),
      });
      expect(res.statusCode).toBe(413);
      expect(res.json().error.code).toBe('WXHUB_ERR_PAYLOAD_TOO_LARGE');
    });

    it('an unknown route is a 404 JSON error', async () => {
      const res = await inject('GET', '/v1/nope?secret=abc', tokenKey);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.json().error.code).toBe('WXHUB_ERR_NOT_FOUND');
      expect(res.body).not.toContain('abc');
      const root = await inject('DELETE', '/', null);
      expect(root.statusCode).toBe(404);
    });

    it('a malformed URL is a 400 JSON error', async () => {
      const res = await inject('GET', `/v1/accounts/%zz/access-token`, tokenKey);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toEqual({
        code: 'WXHUB_ERR_INVALID_ARGUMENT',
        message: 'Invalid argument: malformed URL',
      });
    });
  });
});
