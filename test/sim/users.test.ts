import { describe, expect, it } from 'vitest';
import type { SimFixture } from '../../src/sim/types.js';
import {
  ALICE,
  APPID,
  APPID_B,
  BOB,
  expectWeChatError,
  makeSim,
  SECRET,
  SECRET_B,
  twoAccounts,
} from './support/sim.js';

const ALICE_ID = ALICE.openid!;
const BOB_ID = BOB.openid!;

describe('GET /cgi-bin/user/info', () => {
  it('answers current-era fields for a follower (no nickname, sex, region or avatar)', async () => {
    const sim = makeSim(
      twoAccounts({
        users: [
          {
            ...ALICE,
            subscribeScene: 'ADD_SCENE_QR_CODE',
            subscribeTime: 1_700_000_000,
            language: 'en',
            remark: 'vip',
            groupid: 2,
            tagidList: [128, 2],
            qrScene: 98765,
            qrSceneStr: 'promo',
            city: '广州',
          },
        ],
      }),
    );
    const token = await sim.token();
    const res = await sim.get('/cgi-bin/user/info', { access_token: token, openid: ALICE_ID, lang: 'zh_CN' });
    expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
    const body = res.json();
    expect(body).toEqual({
      subscribe: 1,
      openid: ALICE_ID,
      language: 'en',
      subscribe_time: 1_700_000_000,
      remark: 'vip',
      groupid: 2,
      tagid_list: [128, 2],
      subscribe_scene: 'ADD_SCENE_QR_CODE',
      qr_scene: 98765,
      qr_scene_str: 'promo',
    });
    expect(Object.keys(body)).toEqual([
      'subscribe',
      'openid',
      'language',
      'subscribe_time',
      'remark',
      'groupid',
      'tagid_list',
      'subscribe_scene',
      'qr_scene',
      'qr_scene_str',
    ]);
  });

  it('adds the legacy profile fields for legacyProfile accounts, with a generated avatar', async () => {
    const sim = makeSim(
      twoAccounts({
        legacyProfile: true,
        users: [{ ...ALICE, city: '广州', province: '广东', country: '中国' }],
      }),
    );
    const token = await sim.token();
    const body = await sim.getJson(
      '/cgi-bin/user/info',
      { access_token: token, openid: ALICE_ID },
      { host: 'sim.test:9100' },
    );
    expect(body).toMatchObject({
      nickname: 'Alice 爱丽丝',
      sex: 2,
      city: '广州',
      province: '广东',
      country: '中国',
      headimgurl: expect.stringMatching(/^http:\/\/sim\.test:9100\/mmopen\/[A-Za-z0-9_-]+\/132$/),
    });
  });

  it('adds unionid only on unionBound accounts', async () => {
    const plain = makeSim();
    const t1 = await plain.token();
    expect(
      (await plain.getJson('/cgi-bin/user/info', { access_token: t1, openid: ALICE_ID })).unionid,
    ).toBeUndefined();
    const bound = makeSim(twoAccounts({ unionBound: true }));
    const t2 = await bound.token();
    expect(
      (await bound.getJson('/cgi-bin/user/info', { access_token: t2, openid: ALICE_ID })).unionid,
    ).toMatch(/^o[A-Za-z0-9_-]{27}$/);
  });

  it('answers a non-follower with subscribe and openid only (plus unionid when bound)', async () => {
    const plain = makeSim();
    const t1 = await plain.token();
    expect(await plain.getJson('/cgi-bin/user/info', { access_token: t1, openid: BOB_ID })).toEqual({
      subscribe: 0,
      openid: BOB_ID,
    });
    const bound = makeSim(twoAccounts({ unionBound: true, users: [{ ...BOB, unionid: 'oUnionBob' }] }));
    const t2 = await bound.token();
    expect(await bound.getJson('/cgi-bin/user/info', { access_token: t2, openid: BOB_ID })).toEqual({
      subscribe: 0,
      openid: BOB_ID,
      unionid: 'oUnionBob',
    });
  });

  it('answers 40003 for an unknown openid and for another account’s user', async () => {
    const sim = makeSim();
    const token = await sim.token();
    expectWeChatError(await sim.get('/cgi-bin/user/info', { access_token: token, openid: 'oNobody' }), 40003);
    const tokenB = await sim.token(APPID_B, SECRET_B);
    expectWeChatError(await sim.get('/cgi-bin/user/info', { access_token: tokenB, openid: ALICE_ID }), 40003);
    expectWeChatError(await sim.get('/cgi-bin/user/info', { access_token: token }), 41009);
  });
});

describe('POST /cgi-bin/user/info/batchget', () => {
  it('answers user_info_list in request order', async () => {
    const sim = makeSim();
    const token = await sim.token();
    const body = await sim.postJson(
      '/cgi-bin/user/info/batchget',
      { user_list: [{ openid: BOB_ID, lang: 'zh_CN' }, { openid: ALICE_ID }] },
      { access_token: token },
    );
    expect(body.user_info_list).toEqual([
      { subscribe: 0, openid: BOB_ID },
      expect.objectContaining({ subscribe: 1, openid: ALICE_ID }),
    ]);
  });

  it('answers 40032 for more than 100 entries (or none), 47001 for a non-JSON body, 40003 for any unknown openid', async () => {
    const sim = makeSim();
    const token = await sim.token();
    const list = (n: number) => ({ user_list: Array.from({ length: n }, () => ({ openid: ALICE_ID })) });
    expect(
      (await sim.postJson('/cgi-bin/user/info/batchget', list(100), { access_token: token })).user_info_list,
    ).toHaveLength(100);
    expectWeChatError(
      await sim.post('/cgi-bin/user/info/batchget', list(101), { access_token: token }),
      40032,
    );
    expectWeChatError(await sim.post('/cgi-bin/user/info/batchget', list(0), { access_token: token }), 40032);
    expectWeChatError(
      await sim.post(
        '/cgi-bin/user/info/batchget',
        'user_list=x',
        { access_token: token },
        {
          'content-type': 'application/x-www-form-urlencoded',
        },
      ),
      47001,
    );
    expectWeChatError(
      await sim.post('/cgi-bin/user/info/batchget', { user_list: 'x' }, { access_token: token }),
      47001,
    );
    expectWeChatError(
      await sim.post(
        '/cgi-bin/user/info/batchget',
        { user_list: [{ openid: ALICE_ID }, { openid: 'oNobody' }] },
        {
          access_token: token,
        },
      ),
      40003,
    );
  });
});

describe('GET /cgi-bin/user/get', () => {
  it('lists followers only, in creation order, and ends with count 0 and no data', async () => {
    const sim = makeSim(
      twoAccounts({
        users: [ALICE, BOB, { openid: 'oThird', subscribe: 1 }, { openid: 'oFourth', subscribe: true }],
      }),
    );
    const token = await sim.token();
    const first = await sim.getJson('/cgi-bin/user/get', { access_token: token });
    expect(first).toEqual({
      total: 3,
      count: 3,
      data: { openid: [ALICE_ID, 'oThird', 'oFourth'] },
      next_openid: 'oFourth',
    });
    const end = await sim.getJson('/cgi-bin/user/get', { access_token: token, next_openid: 'oFourth' });
    expect(end).toEqual({ total: 3, count: 0, next_openid: '' });
    const middle = await sim.getJson('/cgi-bin/user/get', { access_token: token, next_openid: ALICE_ID });
    expect(middle.data.openid).toEqual(['oThird', 'oFourth']);
    // next_openid may be a non-follower (a follower who left between pages)
    expect(
      (await sim.getJson('/cgi-bin/user/get', { access_token: token, next_openid: BOB_ID })).data.openid,
    ).toEqual(['oThird', 'oFourth']);
    expectWeChatError(
      await sim.get('/cgi-bin/user/get', { access_token: token, next_openid: 'oStranger' }),
      40003,
    );
  });

  it('pages 10,000 openids at a time', async () => {
    const users = Array.from({ length: 10_005 }, (_, i) => ({
      openid: `oUser${String(i).padStart(6, '0')}`,
    }));
    const fixture: SimFixture = { accounts: [{ appid: APPID, secret: SECRET, users }] };
    const sim = makeSim(fixture);
    const token = await sim.token();
    const page1 = await sim.getJson('/cgi-bin/user/get', { access_token: token });
    expect(page1.total).toBe(10_005);
    expect(page1.count).toBe(10_000);
    expect(page1.data.openid).toHaveLength(10_000);
    expect(page1.next_openid).toBe('oUser009999');
    const page2 = await sim.getJson('/cgi-bin/user/get', {
      access_token: token,
      next_openid: page1.next_openid,
    });
    expect(page2).toEqual({
      total: 10_005,
      count: 5,
      data: { openid: ['oUser010000', 'oUser010001', 'oUser010002', 'oUser010003', 'oUser010004'] },
      next_openid: 'oUser010004',
    });
    const page3 = await sim.getJson('/cgi-bin/user/get', {
      access_token: token,
      next_openid: page2.next_openid,
    });
    expect(page3).toEqual({ total: 10_005, count: 0, next_openid: '' });
  });

  it('answers total 0 and no data for an account without followers', async () => {
    const sim = makeSim(twoAccounts({ users: [BOB] }));
    const token = await sim.token();
    expect(await sim.getJson('/cgi-bin/user/get', { access_token: token })).toEqual({
      total: 0,
      count: 0,
      next_openid: '',
    });
  });

  it('enforces 500 calls a virtual day with 45009', async () => {
    const sim = makeSim();
    const token = await sim.token();
    for (let i = 0; i < 500; i++) {
      sim.state.quotas.tryConsume(APPID, '/cgi-bin/user/get', 500, sim.state.now());
    }
    expectWeChatError(await sim.get('/cgi-bin/user/get', { access_token: token }), 45009);
  });
});
