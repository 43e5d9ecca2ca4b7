import { describe, expect, it } from 'vitest';
import {
  APPID,
  APPID_B,
  expectWeChatError,
  makeSim,
  SECRET,
  TOKEN_SHAPE,
  twoAccounts,
} from './support/sim.js';

const fetchQuery = (extra: Record<string, string> = {}) => ({
  grant_type: 'client_credential',
  appid: APPID,
  secret: SECRET,
  ...extra,
});

describe('GET /cgi-bin/token', () => {
  it('issues a 100–512 character token with expires_in 7200 exactly', async () => {
    const sim = makeSim();
    const res = await sim.get('/cgi-bin/token', fetchQuery());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
    expect(res.json()).toEqual({ access_token: expect.stringMatching(TOKEN_SHAPE), expires_in: 7200 });
  });

  it('answers each parameter error with its code', async () => {
    const sim = makeSim();
    expectWeChatError(
      await sim.get('/cgi-bin/token', { grant_type: 'client_credential', secret: SECRET }),
      41002,
    );
    expectWeChatError(
      await sim.get('/cgi-bin/token', { grant_type: 'client_credential', appid: APPID }),
      41004,
    );
    expectWeChatError(await sim.get('/cgi-bin/token', fetchQuery({ grant_type: 'password' })), 40002);
    expectWeChatError(await sim.get('/cgi-bin/token', { appid: APPID, secret: SECRET }), 40002);
    expectWeChatError(await sim.get('/cgi-bin/token', fetchQuery({ appid: 'wxunknown' })), 40013);
    expectWeChatError(await sim.get('/cgi-bin/token', fetchQuery({ secret: 'wrong' })), 40125);
  });

  it('answers 40243 for a frozen AppSecret', async () => {
    const sim = makeSim(twoAccounts({ secretFrozen: true }));
    expectWeChatError(await sim.get('/cgi-bin/token', fetchQuery()), 40243);
  });

  it('checks the caller IP (X-Sim-Client-Ip) against ipWhitelist with 40164 naming the IP', async () => {
    const sim = makeSim(twoAccounts({ ipWhitelist: ['10.1.2.3', '192.168.0.0/16'] }));
    const res = await sim.get('/cgi-bin/token', fetchQuery(), { 'x-sim-client-ip': '10.9.9.9' });
    const body = expectWeChatError(res, 40164);
    expect(body.errmsg).toMatch(/^invalid ip 10\.9\.9\.9 ipv6 ::ffff:10\.9\.9\.9, not in whitelist rid: /);
    expect(
      (await sim.getJson('/cgi-bin/token', fetchQuery(), { 'x-sim-client-ip': '10.1.2.3' })).expires_in,
    ).toBe(7200);
    expect(
      (await sim.getJson('/cgi-bin/token', fetchQuery(), { 'x-sim-client-ip': '192.168.7.1' })).expires_in,
    ).toBe(7200);
    // inject's socket address is 127.0.0.1, not listed
    expectWeChatError(await sim.get('/cgi-bin/token', fetchQuery()), 40164);
  });

  it('accepts any IP when the account has no whitelist, and none when the list is empty', async () => {
    const open = makeSim();
    expect(
      (await open.getJson('/cgi-bin/token', fetchQuery(), { 'x-sim-client-ip': '8.8.8.8' })).expires_in,
    ).toBe(7200);
    const closed = makeSim(twoAccounts({ ipWhitelist: [] }));
    expectWeChatError(await closed.get('/cgi-bin/token', fetchQuery()), 40164);
  });

  it('keeps the previous token working 299 s after a new fetch and answers 40001 from 300 s', async () => {
    const sim = makeSim();
    const first = await sim.token();
    const second = await sim.token();
    expect(second).not.toBe(first);
    const info = (token: string) =>
      sim.get('/cgi-bin/user/info', { access_token: token, openid: 'oAliceAAAAAAAAAAAAAAAAAAAAAA' });
    await sim.advance(299);
    expect((await info(first)).json().subscribe).toBe(1);
    await sim.advance(1);
    expectWeChatError(await info(first), 40001);
    expect((await info(second)).json().subscribe).toBe(1);
  });

  it('kills the previous token at once with tokenOverlapSeconds 0', async () => {
    const sim = makeSim(twoAccounts({ tokenOverlapSeconds: 0 }));
    const first = await sim.token();
    await sim.token();
    expectWeChatError(
      await sim.get('/cgi-bin/ticket/getticket', { access_token: first, type: 'jsapi' }),
      40001,
    );
  });

  it('expires a token 7200 s after issue with 42001', async () => {
    const sim = makeSim();
    const token = await sim.token();
    const ticket = () => sim.get('/cgi-bin/ticket/getticket', { access_token: token, type: 'jsapi' });
    await sim.advance(7199);
    expect((await ticket()).json().errcode).toBe(0);
    await sim.advance(1);
    expectWeChatError(await ticket(), 42001);
  });

  it('does not touch other accounts’ tokens', async () => {
    const sim = makeSim();
    const b = await sim.token(APPID_B, 'secret-b-0123456789abcdef0123456');
    await sim.token();
    await sim.token();
    await sim.advance(600);
    expect((await sim.getJson('/cgi-bin/ticket/getticket', { access_token: b })).errcode).toBe(0);
  });

  it('answers 45009 over the daily quota and resets at virtual midnight in Asia/Shanghai', async () => {
    const sim = makeSim(twoAccounts({ tokenDailyQuota: 3 }));
    // 23:59:00 Shanghai: START is 12:00, so move 11 h 59 min.
    await sim.advance(11 * 3600 + 59 * 60);
    for (let i = 0; i < 3; i++) await sim.token();
    const over = expectWeChatError(await sim.get('/cgi-bin/token', fetchQuery()), 45009);
    expect(over.errmsg).toContain('reach max api daily quota limit');
    await sim.advance(59);
    expectWeChatError(await sim.get('/cgi-bin/token', fetchQuery()), 45009);
    await sim.advance(1); // 00:00:00 the next day
    expect((await sim.getJson('/cgi-bin/token', fetchQuery())).expires_in).toBe(7200);
  });

  it('counts only successful fetches toward the quota', async () => {
    const sim = makeSim(twoAccounts({ tokenDailyQuota: 1 }));
    for (let i = 0; i < 5; i++)
      expectWeChatError(await sim.get('/cgi-bin/token', fetchQuery({ secret: 'x' })), 40125);
    await sim.token();
    expectWeChatError(await sim.get('/cgi-bin/token', fetchQuery()), 45009);
  });
});

describe('access_token checks on every API', () => {
  const apis: Array<[string, 'GET' | 'POST']> = [
    ['/cgi-bin/user/info', 'GET'],
    ['/cgi-bin/user/info/batchget', 'POST'],
    ['/cgi-bin/user/get', 'GET'],
    ['/cgi-bin/ticket/getticket', 'GET'],
    ['/cgi-bin/clear_quota', 'POST'],
    ['/cgi-bin/openapi/quota/get', 'POST'],
  ];

  it.each(apis)('%s: 41001 missing, 40001 unknown, 42001 expired', async (path, method) => {
    const sim = makeSim();
    const call = (query: Record<string, string>) =>
      method === 'GET'
        ? sim.get(path, { openid: 'oAliceAAAAAAAAAAAAAAAAAAAAAA', ...query })
        : sim.post(path, {}, query);
    expectWeChatError(await call({}), 41001);
    expectWeChatError(await call({ access_token: 'not-a-token' }), 40001);
    const token = await sim.token();
    await sim.advance(7200);
    expectWeChatError(await call({ access_token: token }), 42001);
  });
});
