import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWeChatError } from '../../src/errors/index.js';
import { LiveFollowers, syncFollowers } from '../../src/followers/index.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';
import { type OAuthFixture, oauthFixture } from '../oauth/support/oauth-fixture.js';

const T0 = 1_704_038_400; // epoch seconds

describe('syncFollowers', () => {
  let t: OAuthFixture;
  let followers: { openid: string; unionid: string }[];

  beforeAll(async () => {
    t = await oauthFixture();
    const users = [
      ...Array.from({ length: 300 }, (_, i) => ({
        subscribe: 1,
        subscribeTime: T0 + i,
        subscribeScene: 'ADD_SCENE_QR_CODE',
      })),
      ...Array.from({ length: 50 }, () => ({ subscribe: 0 })),
    ];
    await t.sim.control('POST', '/__sim/accounts', { appid: t.shop.appid, users });
    const all = await t.sim.control<{ users: { openid: string; unionid: string; subscribe: number }[] }>(
      'GET',
      `/__sim/accounts/${t.shop.appid}/users`,
    );
    followers = all.users.filter((u) => u.subscribe === 1);
  });
  afterAll(() => t?.close());

  const calls = async (appid: string) => (await t.sim.stats()).byAppid[appid] ?? {};

  it('walks user/get and batchget in chunks of 100, and stores every follower', async () => {
    const before = await calls(t.shop.appid);
    const result = await syncFollowers(t.hub.services, t.shop.appid);
    expect(result).toEqual({ total: 300, synced: 300, removed: 0 });
    const after = await calls(t.shop.appid);
    expect((after['/cgi-bin/user/get'] ?? 0) - (before['/cgi-bin/user/get'] ?? 0)).toBe(1);
    expect((after['/cgi-bin/user/info/batchget'] ?? 0) - (before['/cgi-bin/user/info/batchget'] ?? 0)).toBe(
      3,
    );

    const page = await t.hub.database.followers.list(t.shop.appid, { limit: 2 });
    expect(page.total).toBe(300);
    // Latest follow first; subscribe_time seconds become epoch ms.
    expect(page.rows[0]).toEqual({
      openid: followers[299]!.openid,
      unionid: followers[299]!.unionid,
      subscribeTime: (T0 + 299) * 1000,
      nickname: null,
      headimgurl: null,
      lastLoginAt: null,
    });
    expect(await t.hub.database.followers.state(t.shop.appid, followers[0]!.openid)).toMatchObject({
      subscribeScene: 'ADD_SCENE_QR_CODE',
      subscribeTime: T0 * 1000,
    });
  });

  it('joins the profiles captured at login; null where none was captured', async () => {
    const key = await t.key();
    const who = followers[299]!;
    await t.sim.user(t.shop.appid, { openid: who.openid, nickname: '粉丝' });
    await t.login(t.shop.appid, who.openid, key);
    const [first, second] = (await t.hub.database.followers.list(t.shop.appid, { limit: 2 })).rows;
    expect(first).toMatchObject({
      openid: who.openid,
      nickname: '粉丝',
      headimgurl: expect.stringContaining('/mmopen/'),
      lastLoginAt: t.clock.now(),
    });
    expect(second).toMatchObject({ nickname: null, headimgurl: null, lastLoginAt: null });
  });

  it('removes those who stopped following and adds new followers', async () => {
    for (const u of followers.slice(0, 20))
      await t.sim.user(t.shop.appid, { openid: u.openid, subscribe: 0 });
    for (let i = 0; i < 5; i++)
      await t.sim.user(t.shop.appid, { subscribe: 1, subscribeTime: T0 + 1000 + i });
    const result = await syncFollowers(t.hub.services, t.shop.appid);
    expect(result).toEqual({ total: 285, synced: 285, removed: 20 });
    // Kept as no longer following: "does this user follow us" answers 0, not "unknown".
    expect(await t.hub.database.followers.state(t.shop.appid, followers[0]!.openid)).toMatchObject({
      subscribe: 0,
    });
    expect((await t.hub.database.followers.list(t.shop.appid)).total).toBe(285);
    // Unchanged world, clock standing still: the next sync keeps everyone.
    expect(await syncFollowers(t.hub.services, t.shop.appid)).toEqual({
      total: 285,
      synced: 285,
      removed: 0,
    });
  });

  it('a sync that fails half-way removes nothing', async () => {
    await t.sim.fault({ path: '/cgi-bin/user/info/batchget', rate: 1, errcode: -1, count: 1 });
    for (const u of followers.slice(20, 30))
      await t.sim.user(t.shop.appid, { openid: u.openid, subscribe: 0 });
    const err = await syncFollowers(t.hub.services, t.shop.appid).catch((e: unknown) => e);
    expect(isWeChatError(err) && err.errcode === -1).toBe(true);
    expect((await t.hub.database.followers.list(t.shop.appid)).total).toBe(285);
    expect(await syncFollowers(t.hub.services, t.shop.appid)).toMatchObject({ total: 275, removed: 10 });
  });

  it('never undoes a follow or an unfollow pushed while it ran (pushes are newer than its snapshot)', async () => {
    const live = new LiveFollowers(t.hub.database, t.clock);
    const gone = followers[40]!.openid;
    const { openid: fresh } = await t.sim.user(t.shop.appid, { subscribe: 0 });
    const push = (openid: string, event: string): PushEvent => ({
      id: `evt_${openid}_${event}`,
      appid: t.shop.appid,
      openid,
      type: 'event',
      msg_type: 'event',
      event,
      create_time: Math.floor(t.clock.now() / 1000),
      fields: {},
      xml: '',
    });
    const table = t.hub.database.followers;
    const upsert = table.upsert.bind(table);
    let pushed = false;
    // After WeChat answered the first batch (so its snapshot has `gone` following, `fresh` not).
    table.upsert = async (rows) => {
      await upsert(rows);
      if (pushed) return;
      pushed = true;
      expect(await live.apply(push(fresh, 'subscribe'))).toBe('applied');
      expect(await live.apply(push(gone, 'unsubscribe'))).toBe('applied');
    };
    // Earlier syncs on the standing clock put their marks just ahead of it: time moves on first.
    t.clock.advance(1000);
    try {
      const result = await syncFollowers(t.hub.services, t.shop.appid);
      expect(pushed).toBe(true);
      expect(result.removed).toBe(0);
    } finally {
      table.upsert = upsert;
    }
    expect(await table.state(t.shop.appid, fresh)).toMatchObject({ subscribe: 1 });
    expect(await table.state(t.shop.appid, gone)).toMatchObject({ subscribe: 0 });
    // The next sync decides from WeChat's own answer again (the simulator never saw those pushes).
    t.clock.advance(1000);
    await syncFollowers(t.hub.services, t.shop.appid);
    expect(await table.state(t.shop.appid, fresh)).toMatchObject({ subscribe: 0 });
    expect(await table.state(t.shop.appid, gone)).toMatchObject({ subscribe: 1 });
  });

  it('retries once with a fresh global token when WeChat calls it dead', async () => {
    await t.sim.invalidate(t.shop.appid, true);
    const fetches = (await calls(t.shop.appid))['/cgi-bin/token'] ?? 0;
    expect((await syncFollowers(t.hub.services, t.shop.appid)).synced).toBe(275);
    expect((await calls(t.shop.appid))['/cgi-bin/token']).toBe(fetches + 1);
  });

  it('walks several user/get pages (10,000 openids each)', async () => {
    const users = Array.from({ length: 10_050 }, () => ({ subscribe: 1 }));
    await t.sim.control('POST', '/__sim/accounts', { appid: t.news.appid, users });
    const before = await calls(t.news.appid);
    const result = await syncFollowers(t.hub.services, t.news.appid);
    expect(result).toEqual({ total: 10_050, synced: 10_050, removed: 0 });
    const after = await calls(t.news.appid);
    expect((after['/cgi-bin/user/get'] ?? 0) - (before['/cgi-bin/user/get'] ?? 0)).toBe(2);
    expect((after['/cgi-bin/user/info/batchget'] ?? 0) - (before['/cgi-bin/user/info/batchget'] ?? 0)).toBe(
      101,
    );
    expect((await t.hub.database.followers.list(t.news.appid, { limit: 1 })).total).toBe(10_050);
  }, 60_000);

  it('refuses an account the hub does not serve', async () => {
    await expect(syncFollowers(t.hub.services, 'wxnotconfigured000')).rejects.toThrow(/Unknown appid/);
  });
});
