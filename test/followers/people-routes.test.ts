import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FollowerRecord, LoginInput } from '../../src/db/index.js';
import { encodeCursor, LiveFollowers } from '../../src/followers/index.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';
import { APP_A, APP_B, bearer, LogCapture, type TestHub, testHub } from '../hub/support/hub-fixture.js';

const T0 = 1_767_225_600_000; // epoch ms

const follower = (openid: string, subscribeTime: number | null, syncedAt = T0): FollowerRecord => ({
  appid: APP_A,
  openid,
  unionid: null,
  subscribeTime,
  subscribeScene: 'ADD_SCENE_SEARCH',
  syncedAt,
});

const login = (openid: string, overrides: Partial<LoginInput> = {}): LoginInput => ({
  appid: APP_A,
  openid,
  unionid: null,
  scope: 'snsapi_userinfo',
  nickname: '小明',
  headimgurl: 'https://thirdwx.qlogo.cn/mmopen/ming/132',
  subscribe: 0,
  sealedWebToken: null,
  webTokenExpiresAt: null,
  sealedRefreshToken: null,
  refreshTokenExpiresAt: null,
  at: T0 - 1000,
  ...overrides,
});

const event = (openid: string, kind: string, createTime: number): PushEvent => ({
  id: `evt_${openid}_${kind}_${createTime}`,
  appid: APP_A,
  openid,
  type: 'event',
  msg_type: 'event',
  event: kind,
  create_time: createTime,
  fields: {},
  xml: '',
});

describe('/v1 people routes', () => {
  let t: TestHub;
  let logs: LogCapture;
  let usersKey: string;

  beforeAll(async () => {
    logs = new LogCapture();
    t = await testHub({ logger: logs.logger });
    usersKey = await t.key(['users']);
    const db = t.hub.database;
    // 250 followers: 240 with follow times (some shared), 10 without.
    await db.followers.upsert([
      ...Array.from({ length: 240 }, (_, i) =>
        follower(`oF${String(i).padStart(3, '0')}`, T0 - Math.floor(i / 3) * 1000),
      ),
      ...Array.from({ length: 10 }, (_, i) => follower(`oN${i}`, null)),
    ]);
  });
  afterAll(() => t.close());

  const get = (url: string, key: string | null = usersKey) =>
    t.hub.app.inject({ method: 'GET', url, headers: key ? bearer(key) : {} });
  const userInfoCalls = () => t.fake.callsTo('/cgi-bin/user/info').length;

  it('pages the followers over three pages: latest follow first, each once, unknown times last', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=100&cursor=${cursor}` : '?limit=100';
      const res = await get(`/v1/accounts/${APP_A}/followers${query}`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      seen.push(...body.followers.map((f: { openid: string }) => f.openid));
      cursor = body.next_cursor;
      pages++;
      if (pages === 1) {
        expect(body.followers[0]).toEqual({ openid: 'oF000', subscribe: 1, subscribe_time: T0 / 1000 });
        // A follow pushed while the client pages sorts first: it shifts no page.
        const live = new LiveFollowers(t.hub.database, t.clock);
        expect(await live.apply(event('oLate', 'subscribe', T0 / 1000 + 60))).toBe('applied');
      }
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(seen.slice(-10)).toEqual(Array.from({ length: 10 }, (_, i) => `oN${i}`));
    expect(seen).not.toContain('oLate');
    const first = (await get(`/v1/accounts/${APP_A}/followers`)).json();
    expect(first.followers).toHaveLength(100); // default limit
    expect(first.followers[0].openid).toBe('oLate');
    // An empty cursor is the first page, as an empty next_openid is for /cgi-bin/user/get.
    expect((await get(`/v1/accounts/${APP_A}/followers?cursor=`)).json()).toEqual(first);
  });

  it('captured profiles fill nickname and headimgurl; unionid from the sync or the login', async () => {
    await t.hub.database.identities.bind(login('oF001', { unionid: 'uMing', subscribe: 1 }));
    const body = (await get(`/v1/accounts/${APP_A}/followers?limit=5`)).json();
    expect(body.followers.find((f: { openid: string }) => f.openid === 'oF001')).toEqual({
      openid: 'oF001',
      unionid: 'uMing',
      subscribe: 1,
      subscribe_time: T0 / 1000,
      nickname: '小明',
      headimgurl: 'https://thirdwx.qlogo.cn/mmopen/ming/132',
    });
    const user = await get(`/v1/accounts/${APP_A}/users/oF001`);
    expect(user.statusCode).toBe(200);
    expect(user.json()).toEqual({
      openid: 'oF001',
      unionid: 'uMing',
      subscribe: 1,
      subscribe_time: T0 / 1000,
      nickname: '小明',
      headimgurl: 'https://thirdwx.qlogo.cn/mmopen/ming/132',
      updated_at: T0 / 1000,
    });
  });

  it('a follower who unfollowed answers 0 at once, and leaves the list', async () => {
    const live = new LiveFollowers(t.hub.database, t.clock);
    expect((await get(`/v1/accounts/${APP_A}/users/oF002`)).json()).toMatchObject({ subscribe: 1 });
    await live.apply(event('oF002', 'unsubscribe', T0 / 1000 + 120));
    const res = await get(`/v1/accounts/${APP_A}/users/oF002`);
    expect(res.json()).toEqual({
      openid: 'oF002',
      subscribe: 0,
      updated_at: Math.floor(t.clock.now() / 1000),
    });
    const all = (await get(`/v1/accounts/${APP_A}/followers?limit=1000`)).json();
    expect(all.followers.map((f: { openid: string }) => f.openid)).not.toContain('oF002');
    expect(all.next_cursor).toBeNull();
  });

  it('an openid never seen answers subscribe 0 and updated_at null, without asking WeChat', async () => {
    const calls = userInfoCalls();
    const res = await get(`/v1/accounts/${APP_A}/users/oNeverSeen`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ openid: 'oNeverSeen', subscribe: 0, updated_at: null });
    expect(userInfoCalls()).toBe(calls);
  });

  it('an identity no sync or push covered is asked of WeChat once (concurrent asks share it), then remembered', async () => {
    await t.hub.database.identities.bind(login('oLoginOnly', { at: T0 - 3_600_000 }));
    const calls = userInfoCalls();
    // Nobody but a keyed caller makes the hub call WeChat.
    expect((await get(`/v1/accounts/${APP_A}/users/oLoginOnly`, null)).statusCode).toBe(401);
    expect(userInfoCalls()).toBe(calls);
    const answers = await Promise.all([1, 2, 3].map(() => get(`/v1/accounts/${APP_A}/users/oLoginOnly`)));
    expect(userInfoCalls()).toBe(calls + 1);
    for (const res of answers) {
      expect(res.json()).toEqual({
        openid: 'oLoginOnly',
        subscribe: 1, // the fake WeChat says so; the login had said 0
        nickname: '小明',
        headimgurl: 'https://thirdwx.qlogo.cn/mmopen/ming/132',
        updated_at: Math.floor(t.clock.now() / 1000),
      });
    }
    expect(await t.hub.database.followers.state(APP_A, 'oLoginOnly')).toMatchObject({
      subscribe: 1,
      eventTime: null,
    });
    await get(`/v1/accounts/${APP_A}/users/oLoginOnly`);
    expect(userInfoCalls()).toBe(calls + 1);
  });

  it('when WeChat fails, answers what the login captured, and asks again next time', async () => {
    await t.hub.database.identities.bind(login('oQuota', { subscribe: 1, at: T0 - 7_200_000 }));
    t.fake.override('/cgi-bin/user/info', (_request, reply) =>
      reply
        .header('content-type', 'application/json')
        .send('{"errcode":45009,"errmsg":"reach max api daily quota limit"}'),
    );
    try {
      const calls = userInfoCalls();
      const res = await get(`/v1/accounts/${APP_A}/users/oQuota`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ subscribe: 1, updated_at: (T0 - 7_200_000) / 1000 });
      expect(userInfoCalls()).toBe(calls + 1);
      expect(await t.hub.database.followers.state(APP_A, 'oQuota')).toBeNull();
      expect(logs.text()).toContain('45009');
      expect(logs.text()).not.toContain('oQuota');
    } finally {
      t.fake.override('/cgi-bin/user/info', undefined);
    }
  });

  it('a login after the last sync or push decides (it asked WeChat too)', async () => {
    await t.hub.database.identities.bind(login('oF003', { subscribe: 0, at: T0 + 5_000 }));
    expect((await get(`/v1/accounts/${APP_A}/users/oF003`)).json()).toMatchObject({
      subscribe: 0,
      updated_at: (T0 + 5_000) / 1000,
    });
  });

  it('refuses without the users scope, for another appid, for an unknown account, and without a key', async () => {
    const tokenOnly = await t.key(['token']);
    const otherApp = await t.key(['users'], [APP_B]);
    for (const url of [`/v1/accounts/${APP_A}/followers`, `/v1/accounts/${APP_A}/users/oF000`]) {
      const noScope = await get(url, tokenOnly);
      expect(noScope.statusCode).toBe(403);
      expect(noScope.json().error.code).toBe('WXHUB_ERR_FORBIDDEN');
      expect(noScope.json().error.message).toContain('users');
      const wrongApp = await get(url, otherApp);
      expect(wrongApp.statusCode).toBe(403);
      expect(wrongApp.json().error.message).toContain('appid');
      expect((await get(url, null)).statusCode).toBe(401);
    }
    const unknown = await get('/v1/accounts/wx0000000000000000/followers');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('WXHUB_ERR_UNKNOWN_ACCOUNT');
    expect((await get('/v1/accounts/wx0000000000000000/users/oF000')).statusCode).toBe(404);
  });

  it('refuses a cursor it did not answer, a limit out of 1-1000 and a malformed openid with 400', async () => {
    const bad = [
      'not-base64-json',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('[1.5,"o1"]').toString('base64url'),
      Buffer.from('[1,""]').toString('base64url'),
      'a%20b',
      'x'.repeat(257),
    ];
    for (const cursor of bad) {
      const res = await get(`/v1/accounts/${APP_A}/followers?cursor=${cursor}`);
      expect(res.statusCode, cursor).toBe(400);
      expect(res.json().error.code).toBe('WXHUB_ERR_INVALID_ARGUMENT');
      expect(res.json().error.message).toContain('cursor');
    }
    // A cursor for a follower who since left still pages on from where it stood.
    const after = encodeCursor({ subscribeTime: T0 - 79_000, openid: 'oF237' });
    const tail = (await get(`/v1/accounts/${APP_A}/followers?cursor=${after}`)).json();
    expect(tail.followers.map((f: { openid: string }) => f.openid)).toEqual([
      'oF238',
      'oF239',
      'oLoginOnly', // remembered from WeChat's answer, without a follow time: with the unknown times
      ...Array.from({ length: 10 }, (_, i) => `oN${i}`),
    ]);
    for (const limit of ['0', '1001', '1.5', 'many']) {
      const res = await get(`/v1/accounts/${APP_A}/followers?limit=${limit}`);
      expect(res.statusCode, limit).toBe(400);
      expect(res.json().error.message).toContain('limit');
    }
    for (const openid of ['o%20x', 'o'.repeat(65), 'o%3Cscript%3E']) {
      const res = await get(`/v1/accounts/${APP_A}/users/${openid}`);
      expect(res.statusCode, openid).toBe(400);
      expect(res.json().error.message).toContain('openid');
    }
  });
});
