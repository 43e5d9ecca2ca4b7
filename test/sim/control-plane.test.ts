import { describe, expect, it } from 'vitest';
import { ALICE, APPID, expectWeChatError, makeSim, SECRET, START } from './support/sim.js';

describe('control plane: accounts and users', () => {
  it('POST /__sim/accounts creates an account (201 {appid}) that WeChat paths then know', async () => {
    const sim = makeSim(null);
    const res = await sim.post('/__sim/accounts', {
      appid: 'wxnew',
      secret: 's3cret',
      oauthDomains: ['localhost'],
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ appid: 'wxnew' });
    expect(
      (
        await sim.getJson('/cgi-bin/token', {
          grant_type: 'client_credential',
          appid: 'wxnew',
          secret: 's3cret',
        })
      ).expires_in,
    ).toBe(7200);
  });

  it('re-posting an account updates its config and keeps its users and tokens', async () => {
    const sim = makeSim();
    const token = await sim.token();
    const res = await sim.post('/__sim/accounts', { appid: APPID, secretFrozen: true, legacyProfile: true });
    expect(res.statusCode).toBe(201);
    expectWeChatError(
      await sim.get('/cgi-bin/token', { grant_type: 'client_credential', appid: APPID, secret: SECRET }),
      40243,
    );
    const info = await sim.getJson('/cgi-bin/user/info', { access_token: token, openid: ALICE.openid! });
    expect(info.nickname).toBe('Alice 爱丽丝');
    const account = await sim.getJson(`/__sim/accounts/${APPID}`);
    expect(account).toMatchObject({
      appid: APPID,
      secret: SECRET,
      secretFrozen: true,
      legacyProfile: true,
      userCount: 2,
      followerCount: 1,
    });
  });

  it('GET /__sim/accounts lists accounts with their settings and counts', async () => {
    const sim = makeSim();
    const body = await sim.getJson('/__sim/accounts');
    expect(body.accounts).toHaveLength(2);
    expect(body.accounts[0]).toMatchObject({
      appid: APPID,
      tokenDailyQuota: 2000,
      tokenOverlapSeconds: 300,
      ipWhitelist: null,
      unionBound: false,
      userCount: 2,
      followerCount: 1,
    });
  });

  it('POST /__sim/accounts/:appid/users creates a user (201), generating openid and unionid as needed', async () => {
    const sim = makeSim();
    await sim.post('/__sim/accounts', { appid: 'wxbound', secret: 'x', unionBound: true });
    const res = await sim.post('/__sim/accounts/wxbound/users', {
      nickname: '新用户',
      subscribeScene: 'ADD_SCENE_PAID',
    });
    expect(res.statusCode).toBe(201);
    const user = res.json();
    expect(user).toMatchObject({
      openid: expect.stringMatching(/^o[A-Za-z0-9_-]{27}$/),
      unionid: expect.stringMatching(/^o[A-Za-z0-9_-]{27}$/),
      nickname: '新用户',
      subscribe: 1,
      subscribeScene: 'ADD_SCENE_PAID',
      subscribeTime: Math.floor(START / 1000),
      headimgurl: expect.stringMatching(/\/mmopen\/[A-Za-z0-9_-]+\/132$/),
    });
    const plain = (
      await sim.post(`/__sim/accounts/${APPID}/users`, { openid: 'oGiven', unionid: 'oU' })
    ).json();
    expect(plain).toMatchObject({ openid: 'oGiven', unionid: 'oU' });
    const list = await sim.getJson(`/__sim/accounts/${APPID}/users`);
    expect(list.users.map((u: { openid: string }) => u.openid)).toEqual([
      ALICE.openid,
      'oBobBBBBBBBBBBBBBBBBBBBBBBBB',
      'oGiven',
    ]);
  });

  it('re-posting a user updates it (follow / unfollow moves the follower count)', async () => {
    const sim = makeSim();
    await sim.post(`/__sim/accounts/${APPID}/users`, { openid: ALICE.openid, subscribe: 0 });
    const token = await sim.token();
    expect(await sim.getJson('/cgi-bin/user/get', { access_token: token })).toEqual({
      total: 0,
      count: 0,
      next_openid: '',
    });
  });

  it('switching unionBound on gives existing users a unionid', async () => {
    const sim = makeSim();
    await sim.post('/__sim/accounts', { appid: APPID, unionBound: true });
    const users = (await sim.getJson(`/__sim/accounts/${APPID}/users`)).users;
    for (const user of users) expect(user.unionid).toMatch(/^o/);
  });

  it('answers 400 naming the bad field, 404 for unknown accounts', async () => {
    const sim = makeSim();
    const bad = await sim.post('/__sim/accounts', { appid: 'wx', secret: 'x', tokenDailyQuota: -1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      error: 'invalid_request',
      message: expect.stringContaining('tokenDailyQuota'),
    });
    const typo = await sim.post('/__sim/accounts', { appid: 'wx', secret: 'x', ipWhiteList: [] });
    expect(typo.json().message).toContain('ipWhiteList');
    const ip = await sim.post('/__sim/accounts', { appid: 'wx', secret: 'x', ipWhitelist: ['999.1.1.1'] });
    expect(ip.json().message).toContain('ipWhitelist[0]');
    const noSecret = await sim.post('/__sim/accounts', { appid: 'wxfresh' });
    expect(noSecret.statusCode).toBe(400);
    expect(noSecret.json().message).toContain('secret');
    const user = await sim.post(`/__sim/accounts/${APPID}/users`, { sex: 3 });
    expect(user.statusCode).toBe(400);
    expect(user.json().message).toContain('sex');
    const json = await sim.post('/__sim/accounts', '{nope');
    expect(json.json()).toMatchObject({ error: 'invalid_json' });
    expect((await sim.post('/__sim/accounts/wxnope/users', {})).statusCode).toBe(404);
    expect((await sim.get('/__sim/accounts/wxnope')).statusCode).toBe(404);
    expect((await sim.get('/__sim/nothing')).json()).toMatchObject({ error: 'not_found' });
  });

  it('invalidate-tokens: classic tokens die after the overlap, or at once with immediate', async () => {
    const sim = makeSim();
    const token = await sim.token();
    const ticket = () => sim.get('/cgi-bin/ticket/getticket', { access_token: token });
    const res = await sim.post(`/__sim/accounts/${APPID}/invalidate-tokens`, {});
    expect(res.json()).toMatchObject({ appid: APPID, kind: 'classic', invalidated: 1 });
    await sim.advance(299);
    expect((await ticket()).json().errcode).toBe(0);
    await sim.advance(1);
    expectWeChatError(await ticket(), 40001);

    const fresh = await sim.token();
    await sim.post(`/__sim/accounts/${APPID}/invalidate-tokens`, { immediate: true });
    expectWeChatError(await sim.get('/cgi-bin/ticket/getticket', { access_token: fresh }), 40001);
  });

  it('invalidate-tokens with kind stable kills the stable token; the next call gets a new one', async () => {
    const sim = makeSim();
    const body = { grant_type: 'client_credential', appid: APPID, secret: SECRET };
    const stable = (await sim.postJson('/cgi-bin/stable_token', body)).access_token;
    const classic = await sim.token();
    await sim.post(`/__sim/accounts/${APPID}/invalidate-tokens`, { immediate: true, kind: 'stable' });
    expectWeChatError(await sim.get('/cgi-bin/ticket/getticket', { access_token: stable }), 40001);
    expect((await sim.getJson('/cgi-bin/ticket/getticket', { access_token: classic })).errcode).toBe(0);
    expect((await sim.postJson('/cgi-bin/stable_token', body)).access_token).not.toBe(stable);
  });
});

describe('control plane: clock, stats, reset', () => {
  it('GET /__sim/clock shows virtual now; POST advances it', async () => {
    const sim = makeSim();
    expect(await sim.getJson('/__sim/clock')).toEqual({
      now: START,
      iso: new Date(START).toISOString(),
      shanghai: '2026-01-01 12:00:00',
      offsetSeconds: 0,
    });
    const after = await sim.postJson('/__sim/clock', { advanceSeconds: 7200 });
    expect(after).toMatchObject({
      now: START + 7_200_000,
      offsetSeconds: 7200,
      shanghai: '2026-01-01 14:00:00',
    });
    const bad = await sim.post('/__sim/clock', { advanceSeconds: -5 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('advanceSeconds');
  });

  it('GET /__sim/stats counts calls per path, per appid (from the token when there is one) and errors', async () => {
    const sim = makeSim();
    const token = await sim.token();
    await sim.get('/cgi-bin/user/info', { access_token: token, openid: ALICE.openid! });
    await sim.get('/cgi-bin/user/info', { access_token: token, openid: 'oNobody' });
    await sim.get('/cgi-bin/token', { grant_type: 'client_credential', appid: APPID, secret: 'bad' });
    await sim.post('/cgi-bin/stable_token', {
      grant_type: 'client_credential',
      appid: APPID,
      secret: SECRET,
    });
    await sim.get('/cgi-bin/nope');
    await sim.get('/__sim/accounts');
    expect(await sim.getJson('/__sim/stats')).toEqual({
      calls: { '/cgi-bin/token': 2, '/cgi-bin/user/info': 2, '/cgi-bin/stable_token': 1 },
      byAppid: { [APPID]: { '/cgi-bin/token': 2, '/cgi-bin/user/info': 2, '/cgi-bin/stable_token': 1 } },
      errors: { '40003': 1, '40125': 1 },
    });
  });

  it('POST /__sim/reset zeroes the stats only; {"all":true} restores the starting world', async () => {
    const sim = makeSim();
    const token = await sim.token();
    await sim.post(`/__sim/accounts/${APPID}/users`, { openid: 'oExtra' });
    await sim.post('/__sim/faults', { rate: 0 });
    await sim.advance(10);
    expect((await sim.postJson('/__sim/reset')).reset).toBe('stats');
    expect(await sim.getJson('/__sim/stats')).toEqual({ calls: {}, byAppid: {}, errors: {} });
    expect((await sim.getJson('/cgi-bin/ticket/getticket', { access_token: token })).errcode).toBe(0);

    expect((await sim.postJson('/__sim/reset', { all: true })).reset).toBe('all');
    expectWeChatError(await sim.get('/cgi-bin/ticket/getticket', { access_token: token }), 40001);
    expect((await sim.getJson(`/__sim/accounts/${APPID}/users`)).users).toHaveLength(2);
    expect((await sim.getJson('/__sim/faults')).faults).toEqual([]);
    expect((await sim.getJson('/__sim/clock')).offsetSeconds).toBe(0);
  });

  it('GET /__sim lists the control-plane routes', async () => {
    const sim = makeSim();
    expect((await sim.getJson('/__sim')).routes).toContain('POST /__sim/faults');
  });
});
