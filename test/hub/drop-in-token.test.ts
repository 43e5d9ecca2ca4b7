import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_A, APP_B, APP_C, SECRET_A, SECRET_C, type TestHub, testHub } from './support/hub-fixture.js';

describe('drop-in GET /cgi-bin/token', () => {
  let t: TestHub;
  let tokenKey: string;

  beforeAll(async () => {
    t = await testHub();
    tokenKey = await t.key(['token'], [APP_A, APP_C]);
  });
  afterAll(() => t.close());

  const get = (query: string) => t.hub.app.inject({ method: 'GET', url: `/cgi-bin/token?${query}` });
  /** WeChat's error shape with WeChat's HTTP 200; the hub's reason in X-Wxhub-Error. */
  const wechatError = (res: Awaited<ReturnType<typeof get>>, errcode: number, code: string) => {
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-wxhub-error']).toBe(code);
    expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['errcode', 'errmsg']);
    expect(body.errcode).toBe(errcode);
    expect(typeof body.errmsg).toBe('string');
    return body;
  };

  it('answers exactly as WeChat does, with a hub-signed stand-in instead of the real token', async () => {
    const res = await get(`grant_type=client_credential&appid=${APP_A}&secret=${tokenKey}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
    const body = res.json();
    expect(Object.keys(body)).toEqual(['access_token', 'expires_in']);
    expect(body.expires_in).toBe(7200);
    expect(body.access_token).toMatch(/^[A-Za-z0-9_-]{100,512}$/);
    expect(body.access_token).not.toBe(t.fake.current(APP_A));
    expect(res.body).not.toContain(t.fake.current(APP_A)!);
    // Every call hands out a fresh stand-in; the real token was fetched once.
    const again = (await get(`grant_type=client_credential&appid=${APP_A}&secret=${tokenKey}`)).json();
    expect(again.access_token).not.toBe(body.access_token);
    expect(t.fake.callsTo('/cgi-bin/token')).toHaveLength(1);
  });

  it('appid missing: 41002', async () => {
    wechatError(
      await get(`grant_type=client_credential&secret=${tokenKey}`),
      41002,
      'WXHUB_ERR_INVALID_ARGUMENT',
    );
  });

  it('secret missing: 41004 (HTTP 200, as WeChat answers it)', async () => {
    wechatError(await get(`grant_type=client_credential&appid=${APP_A}`), 41004, 'WXHUB_ERR_UNAUTHORIZED');
  });

  it('bad grant_type: 40002', async () => {
    const bad = 'WXHUB_ERR_INVALID_ARGUMENT';
    wechatError(await get(`grant_type=password&appid=${APP_A}&secret=${tokenKey}`), 40002, bad);
    wechatError(await get(`appid=${APP_A}&secret=${tokenKey}`), 40002, bad);
  });

  it('unknown appid: 40013', async () => {
    wechatError(
      await get(`grant_type=client_credential&appid=wxunknown&secret=${tokenKey}`),
      40013,
      'WXHUB_ERR_UNKNOWN_ACCOUNT',
    );
  });

  it('a wrong or unknown key, or junk: 40125 with HTTP 200, and no key echoed', async () => {
    const wrong = `${tokenKey.slice(0, -2)}${tokenKey.endsWith('zz') ? 'yy' : 'zz'}`;
    for (const secret of [wrong, `wxk_0123456789abcdef_${'Q'.repeat(43)}`, 'not-a-key', SECRET_A]) {
      const res = await get(`grant_type=client_credential&appid=${APP_A}&secret=${secret}`);
      const body = wechatError(res, 40125, 'WXHUB_ERR_UNAUTHORIZED');
      expect(body.errmsg).not.toContain(secret);
    }
  });

  it('a key without the token scope, for another appid, or revoked: 40125', async () => {
    const proxyOnly = await t.key(['proxy', 'refresh'], [APP_A]);
    const forbidden = 'WXHUB_ERR_FORBIDDEN';
    wechatError(
      await get(`grant_type=client_credential&appid=${APP_A}&secret=${proxyOnly}`),
      40125,
      forbidden,
    );
    wechatError(
      await get(`grant_type=client_credential&appid=${APP_B}&secret=${tokenKey}`),
      40125,
      forbidden,
    );
    const revoked = await t.key(['token'], [APP_A]);
    await t.hub.services.keys.revoke(revoked);
    wechatError(
      await get(`grant_type=client_credential&appid=${APP_A}&secret=${revoked}`),
      40125,
      'WXHUB_ERR_UNAUTHORIZED',
    );
  });

  it('takes the real appsecret only where the account allows it', async () => {
    const allowed = await get(`grant_type=client_credential&appid=${APP_C}&secret=${SECRET_C}`);
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json().access_token).toMatch(/^[A-Za-z0-9_-]{100,}$/);
    const wrong = 'WXHUB_ERR_UNAUTHORIZED';
    wechatError(await get(`grant_type=client_credential&appid=${APP_C}&secret=${SECRET_C}x`), 40125, wrong);
    wechatError(await get(`grant_type=client_credential&appid=${APP_A}&secret=${SECRET_A}`), 40125, wrong);
  });

  it("says -1 (HTTP 200) when the hub cannot obtain a real token, never WeChat's secret error", async () => {
    t.fake.override('/cgi-bin/token', (_request, reply) =>
      reply
        .header('content-type', 'application/json')
        .send('{"errcode":40164,"errmsg":"invalid ip 1.2.3.4"}'),
    );
    try {
      const key = await t.key(['token'], [APP_B]);
      wechatError(
        await get(`grant_type=client_credential&appid=${APP_B}&secret=${key}`),
        -1,
        'WXHUB_ERR_ACCOUNT_DISABLED',
      );
    } finally {
      t.fake.override('/cgi-bin/token', undefined);
    }
  });

  it('says 45009 when WeChat says the daily quota is spent: the caller should stop too', async () => {
    const fresh = await testHub();
    try {
      fresh.fake.override('/cgi-bin/token', (_request, reply) =>
        reply
          .header('content-type', 'application/json')
          .send('{"errcode":45009,"errmsg":"reach max api daily quota limit"}'),
      );
      const key = await fresh.key(['token'], [APP_A]);
      const res = await fresh.hub.app.inject({
        url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secret=${key}`,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().errcode).toBe(45009);
      expect(res.headers['x-wxhub-error']).toMatch(/^WXHUB_ERR_/);
    } finally {
      await fresh.close();
    }
  });
});
