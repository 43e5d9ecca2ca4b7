import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveFollowers, syncFollowers } from '../../src/followers/index.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';
import { type OAuthFixture, oauthFixture } from '../oauth/support/oauth-fixture.js';

/**
 * The people routes against the simulator playing WeChat, on a SQLite database: a web login
 * captures the profile, "does this user follow us" asks `/cgi-bin/user/info` once for a login no
 * sync covered, a sync fills the list, and pushes (as the gateway hands them over) move the
 * answer at once.
 */
describe('/v1 people routes over the simulator', () => {
  let t: OAuthFixture;
  let usersKey: string;
  let oauthKey: string;
  let alice: { openid: string; unionid?: string };
  const T0 = 1_767_225_600; // epoch seconds

  beforeAll(async () => {
    t = await oauthFixture();
    usersKey = (await t.hub.services.keys.create({ name: 'app', appids: [t.shop.appid], scopes: ['users'] }))
      .key;
    oauthKey = await t.key();
    alice = await t.sim.user(t.shop.appid, {
      nickname: '爱丽丝',
      subscribe: 1,
      subscribeTime: T0,
      subscribeScene: 'ADD_SCENE_QR_CODE',
      qrSceneStr: 'poster-3',
    });
    for (let i = 0; i < 4; i++) await t.sim.user(t.shop.appid, { subscribe: 1, subscribeTime: T0 - 100 - i });
  });
  afterAll(() => t?.close());

  const get = (path: string) =>
    t.inject({
      url: `/v1/accounts/${t.shop.appid}${path}`,
      headers: { authorization: `Bearer ${usersKey}` },
    });
  const userInfoCalls = () => t.sim.calls(t.shop.appid, '/cgi-bin/user/info');

  it('a login no sync covered: user/info asked once, the answer kept with the captured profile', async () => {
    await t.login(t.shop.appid, alice.openid, oauthKey);
    const before = await userInfoCalls(); // the login asked once itself
    const res = await get(`/users/${alice.openid}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      openid: alice.openid,
      unionid: alice.unionid,
      subscribe: 1,
      subscribe_time: T0,
      nickname: '爱丽丝',
      headimgurl: expect.stringContaining('/mmopen/'),
      updated_at: Math.floor(t.clock.now() / 1000),
    });
    expect(await userInfoCalls()).toBe(before + 1);
    expect(await t.hub.database.followers.state(t.shop.appid, alice.openid)).toMatchObject({
      subscribe: 1,
      subscribeScene: 'ADD_SCENE_QR_CODE',
      qrScene: 'poster-3',
    });
    await get(`/users/${alice.openid}`);
    expect(await userInfoCalls()).toBe(before + 1);
  });

  it('after a sync, the follower list carries the captured avatar; pushes move the answer at once', async () => {
    t.clock.advance(1000);
    expect(await syncFollowers(t.hub.services, t.shop.appid)).toMatchObject({ total: 5, synced: 5 });
    const list = (await get('/followers?limit=2')).json();
    expect(list.followers[0]).toEqual({
      openid: alice.openid,
      unionid: alice.unionid,
      subscribe: 1,
      subscribe_time: T0,
      nickname: '爱丽丝',
      headimgurl: expect.stringContaining('/mmopen/'),
    });
    const second = (await get(`/followers?limit=2&cursor=${list.next_cursor}`)).json();
    const third = (await get(`/followers?limit=2&cursor=${second.next_cursor}`)).json();
    expect(third.next_cursor).toBeNull();
    expect([...list.followers, ...second.followers, ...third.followers]).toHaveLength(5);

    const live = new LiveFollowers(t.hub.database, t.clock);
    const push = (event: string, createTime: number): PushEvent => ({
      id: `evt_${event}_${createTime}`,
      appid: t.shop.appid,
      openid: alice.openid,
      type: 'event',
      msg_type: 'event',
      event,
      create_time: createTime,
      fields: {},
      xml: '',
    });
    t.clock.advance(1000);
    const now = Math.floor(t.clock.now() / 1000);
    expect(await live.apply(push('unsubscribe', now))).toBe('applied');
    expect((await get(`/users/${alice.openid}`)).json()).toMatchObject({ subscribe: 0, updated_at: now });
    expect((await get('/followers')).json().followers).toHaveLength(4);
    expect(await live.apply(push('subscribe', now + 1))).toBe('applied');
    expect((await get(`/users/${alice.openid}`)).json()).toMatchObject({
      subscribe: 1,
      subscribe_time: now + 1,
    });
    expect((await get('/followers?limit=1')).json().followers[0].openid).toBe(alice.openid);
  });
});
