import { describe, expect, it } from 'vitest';
import { APPID, APPID_B, expectWeChatError, makeSim, SECRET, SECRET_B, twoAccounts } from './support/sim.js';

describe('GET /cgi-bin/ticket/getticket', () => {
  it.each(['jsapi', 'wx_card'])(
    'type=%s answers errcode 0, a 100+ character ticket, expires_in 7200',
    async (type) => {
      const sim = makeSim();
      const token = await sim.token();
      const res = await sim.get('/cgi-bin/ticket/getticket', { access_token: token, type });
      expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
      expect(res.json()).toEqual({
        errcode: 0,
        errmsg: 'ok',
        ticket: expect.stringMatching(/^[A-Za-z0-9_-]{100,512}$/),
        expires_in: 7200,
      });
    },
  );

  it('answers 40097 for an unknown type', async () => {
    const sim = makeSim();
    expectWeChatError(
      await sim.get('/cgi-bin/ticket/getticket', { access_token: await sim.token(), type: 'x' }),
      40097,
    );
  });
});

describe('POST /cgi-bin/clear_quota', () => {
  it('resets the account’s daily counters', async () => {
    const sim = makeSim(twoAccounts({ tokenDailyQuota: 2 }));
    const token = await sim.token();
    await sim.token();
    expectWeChatError(
      await sim.get('/cgi-bin/token', { grant_type: 'client_credential', appid: APPID, secret: SECRET }),
      45009,
    );
    const res = await sim.post('/cgi-bin/clear_quota', { appid: APPID }, { access_token: token });
    expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
    expect(res.json()).toEqual({ errcode: 0, errmsg: 'ok' });
    await sim.token();
  });

  it('answers 40013 for an appid other than the token’s account, 41002 without appid, 47001 for a non-JSON body', async () => {
    const sim = makeSim();
    const token = await sim.token();
    expectWeChatError(
      await sim.post('/cgi-bin/clear_quota', { appid: APPID_B }, { access_token: token }),
      40013,
    );
    expectWeChatError(await sim.post('/cgi-bin/clear_quota', {}, { access_token: token }), 41002);
    expectWeChatError(
      await sim.post(
        '/cgi-bin/clear_quota',
        `appid=${APPID}`,
        { access_token: token },
        {
          'content-type': 'application/x-www-form-urlencoded',
        },
      ),
      47001,
    );
  });

  it('allows 10 clears a virtual month (v1 and v2 together): the 11th is 48006; next month works', async () => {
    const sim = makeSim();
    const token = await sim.token();
    for (let i = 0; i < 5; i++) {
      expect(
        (await sim.postJson('/cgi-bin/clear_quota', { appid: APPID }, { access_token: token })).errcode,
      ).toBe(0);
      expect(
        (await sim.postJson('/cgi-bin/clear_quota/v2', { appid: APPID, appsecret: SECRET })).errcode,
      ).toBe(0);
    }
    expectWeChatError(
      await sim.post('/cgi-bin/clear_quota', { appid: APPID }, { access_token: token }),
      48006,
    );
    expectWeChatError(await sim.post('/cgi-bin/clear_quota/v2', { appid: APPID, appsecret: SECRET }), 48006);
    // other accounts have their own monthly count
    expect(
      (await sim.postJson('/cgi-bin/clear_quota/v2', { appid: APPID_B, appsecret: SECRET_B })).errcode,
    ).toBe(0);
    // START is 1 January (Shanghai); 31 days later is February
    await sim.advance(31 * 86_400);
    expect((await sim.postJson('/cgi-bin/clear_quota/v2', { appid: APPID, appsecret: SECRET })).errcode).toBe(
      0,
    );
  });
});

describe('POST /cgi-bin/clear_quota/v2', () => {
  it('needs no token and answers the credential errors', async () => {
    const sim = makeSim();
    expect((await sim.postJson('/cgi-bin/clear_quota/v2', { appid: APPID, appsecret: SECRET })).errcode).toBe(
      0,
    );
    expectWeChatError(await sim.post('/cgi-bin/clear_quota/v2', { appsecret: SECRET }), 41002);
    expectWeChatError(await sim.post('/cgi-bin/clear_quota/v2', { appid: APPID }), 41004);
    expectWeChatError(
      await sim.post('/cgi-bin/clear_quota/v2', { appid: 'wxnope', appsecret: SECRET }),
      40013,
    );
    expectWeChatError(await sim.post('/cgi-bin/clear_quota/v2', { appid: APPID, appsecret: 'bad' }), 40125);
    expectWeChatError(await sim.post('/cgi-bin/clear_quota/v2', 'not json'), 47001);
  });

  it('restores a token quota that is gone', async () => {
    const sim = makeSim(twoAccounts({ tokenDailyQuota: 1 }));
    await sim.token();
    const fetch = () =>
      sim.get('/cgi-bin/token', { grant_type: 'client_credential', appid: APPID, secret: SECRET });
    expectWeChatError(await fetch(), 45009);
    await sim.post('/cgi-bin/clear_quota/v2', { appid: APPID, appsecret: SECRET });
    expect((await fetch()).json().expires_in).toBe(7200);
  });
});

describe('POST /cgi-bin/openapi/quota/get', () => {
  it('reports daily_limit, used, remain and rate_limit', async () => {
    const sim = makeSim(twoAccounts({ tokenDailyQuota: 50 }));
    const token = await sim.token();
    await sim.token();
    const res = await sim.post(
      '/cgi-bin/openapi/quota/get',
      { cgi_path: '/cgi-bin/token' },
      { access_token: token },
    );
    expect(res.json()).toEqual({
      errcode: 0,
      errmsg: 'ok',
      quota: { daily_limit: 50, used: 2, remain: 48 },
      rate_limit: { call_count: 0, refresh_second: 0 },
    });
    const stable = await sim.postJson(
      '/cgi-bin/openapi/quota/get',
      { cgi_path: '/cgi-bin/stable_token' },
      { access_token: token },
    );
    expect(stable.quota).toEqual({ daily_limit: 500_000, used: 0, remain: 500_000 });
    expect(stable.rate_limit).toEqual({ call_count: 10_000, refresh_second: 60 });
    const list = await sim.postJson(
      '/cgi-bin/openapi/quota/get',
      { cgi_path: '/cgi-bin/user/get' },
      { access_token: token },
    );
    expect(list.quota.daily_limit).toBe(500);
  });

  it('answers 76021 for an unknown cgi_path', async () => {
    const sim = makeSim();
    const token = await sim.token();
    for (const cgi_path of ['/cgi-bin/nope', 'constructor', '']) {
      expectWeChatError(
        await sim.post('/cgi-bin/openapi/quota/get', { cgi_path }, { access_token: token }),
        76021,
      );
    }
  });
});
