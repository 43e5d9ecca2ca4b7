import { describe, expect, it } from 'vitest';
import { type Database, type LoginInput, MemoryDatabase } from '../../src/db/index.js';
import { WxhubError } from '../../src/errors/index.js';
import { followerChange, LiveFollowers } from '../../src/followers/index.js';
import { type PushEvent, toPushEvent } from '../../src/gateway/receive/push-event.js';
import { ManualClock } from '../../src/util/clock.js';

const APPID = 'wx1234567890abcdef';
const T = 1_767_225_600; // CreateTime, epoch seconds

/** A push as the gateway hands it over (built by the gateway's own converter). */
function push(openid: string, fields: Record<string, string>, appid = APPID): PushEvent {
  return toPushEvent(
    appid,
    { ToUserName: 'gh_1', FromUserName: openid, CreateTime: String(T), MsgType: 'event', ...fields },
    '<xml/>',
  );
}

const login = (openid: string, subscribe: 0 | 1): LoginInput => ({
  appid: APPID,
  openid,
  unionid: null,
  scope: 'snsapi_userinfo',
  nickname: 'Ming',
  headimgurl: 'https://thirdwx.qlogo.cn/mmopen/x/132',
  subscribe,
  sealedWebToken: null,
  webTokenExpiresAt: null,
  sealedRefreshToken: null,
  refreshTokenExpiresAt: null,
  at: 1,
});

function setup() {
  const database = new MemoryDatabase();
  const clock = new ManualClock(T * 1000 + 500);
  const warnings: unknown[] = [];
  const logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (fields: unknown) => warnings.push(fields),
    error: () => undefined,
  };
  return { database, clock, warnings, live: new LiveFollowers(database, clock, logger) };
}

describe('LiveFollowers', () => {
  it('subscribe with qrscene_X: following since CreateTime, scene X recorded', async () => {
    const { database, live, clock } = setup();
    expect(await live.apply(push('oNew', { Event: 'subscribe', EventKey: 'qrscene_shop-7' }))).toBe(
      'applied',
    );
    expect(await database.followers.state(APPID, 'oNew')).toEqual({
      appid: APPID,
      openid: 'oNew',
      unionid: null,
      subscribeTime: T * 1000,
      subscribeScene: 'ADD_SCENE_QR_CODE',
      qrScene: 'shop-7',
      syncedAt: 0,
      subscribe: 1,
      eventTime: T * 1000,
      eventAt: clock.now(),
    });
    expect((await database.followers.list(APPID)).rows.map((r) => r.openid)).toEqual(['oNew']);
  });

  it('subscribe without EventKey: following, no scene (a previous follow scene is cleared)', async () => {
    const { database, live } = setup();
    await live.apply(push('oA', { Event: 'subscribe', EventKey: 'qrscene_old' }));
    await live.apply(push('oA', { Event: 'unsubscribe', CreateTime: String(T + 1) }));
    expect(await live.apply(push('oA', { Event: 'subscribe', CreateTime: String(T + 2) }))).toBe('applied');
    expect(await database.followers.state(APPID, 'oA')).toMatchObject({
      subscribe: 1,
      subscribeTime: (T + 2) * 1000,
      subscribeScene: null,
      qrScene: null,
    });
  });

  it('unsubscribe: subscribe 0 with the row kept, out of the follower list; the identity follows suit', async () => {
    const { database, live } = setup();
    await database.identities.bind(login('oB', 1));
    await live.apply(push('oB', { Event: 'subscribe' }));
    expect(await live.apply(push('oB', { Event: 'unsubscribe', CreateTime: String(T + 60) }))).toBe(
      'applied',
    );
    expect(await database.followers.state(APPID, 'oB')).toMatchObject({
      subscribe: 0,
      subscribeTime: T * 1000,
      eventTime: (T + 60) * 1000,
    });
    expect((await database.followers.list(APPID)).total).toBe(0);
    expect(await database.identities.get(APPID, 'oB')).toMatchObject({ subscribe: 0 });
    // An unfollow of someone the hub never saw also leaves a row answering 0.
    await live.apply(push('oNever', { Event: 'unsubscribe' }));
    expect(await database.followers.state(APPID, 'oNever')).toMatchObject({
      subscribe: 0,
      subscribeTime: null,
    });
  });

  it('SCAN: a follower the hub did not know becomes one; a known follow keeps its time and scene', async () => {
    const { database, live } = setup();
    expect(await live.apply(push('oS', { Event: 'SCAN', EventKey: 'login-42' }))).toBe('applied');
    expect(await database.followers.state(APPID, 'oS')).toMatchObject({
      subscribe: 1,
      subscribeTime: null,
      qrScene: null,
    });
    await live.apply(push('oQ', { Event: 'subscribe', EventKey: 'qrscene_first' }));
    await live.apply(push('oQ', { Event: 'SCAN', EventKey: 'second', CreateTime: String(T + 5) }));
    expect(await database.followers.state(APPID, 'oQ')).toMatchObject({
      subscribe: 1,
      subscribeTime: T * 1000,
      qrScene: 'first',
      eventTime: (T + 5) * 1000,
    });
    // SCAN after a recorded unfollow: they followed again.
    await live.apply(push('oU', { Event: 'unsubscribe' }));
    await database.identities.bind(login('oU', 0));
    await live.apply(push('oU', { Event: 'SCAN', EventKey: '9', CreateTime: String(T + 9) }));
    expect(await database.followers.state(APPID, 'oU')).toMatchObject({ subscribe: 1 });
    expect(await database.identities.get(APPID, 'oU')).toMatchObject({ subscribe: 1 });
  });

  it('pushes applied out of order: the older one changes nothing', async () => {
    const { database, live } = setup();
    await live.apply(push('oO', { Event: 'unsubscribe', CreateTime: String(T + 10) }));
    expect(await live.apply(push('oO', { Event: 'subscribe', CreateTime: String(T + 3) }))).toBe('stale');
    expect(await database.followers.state(APPID, 'oO')).toMatchObject({ subscribe: 0 });
  });

  it('ignores messages and other events', async () => {
    const { database, live } = setup();
    const text = toPushEvent(
      APPID,
      { FromUserName: 'oT', CreateTime: String(T), MsgType: 'text', Content: 'hi', MsgId: '1' },
      '<xml/>',
    );
    expect(await live.apply(text)).toBe('ignored');
    expect(await live.apply(push('oT', { Event: 'CLICK', EventKey: 'menu' }))).toBe('ignored');
    expect(await live.apply(push('oT', { Event: 'LOCATION' }))).toBe('ignored');
    expect(await database.followers.state(APPID, 'oT')).toBeNull();
    // An openid no row can hold is not a follower change.
    expect(followerChange(push('o'.repeat(129), { Event: 'subscribe' }), 1)).toBeNull();
    // A scene longer than WeChat allows (64) is dropped, the follow kept.
    expect(
      followerChange(push('oL', { Event: 'subscribe', EventKey: `qrscene_${'s'.repeat(65)}` }), 1),
    ).toMatchObject({
      subscribe: 1,
      follow: { scene: null, qrScene: null },
    });
  });

  it('never rejects: a database failure is logged (no openid in the line) and reported as failed', async () => {
    const { clock } = setup();
    const warnings: Record<string, unknown>[] = [];
    const broken = {
      followers: {
        apply: async () => {
          throw new WxhubError('WXHUB_ERR_DATABASE_UNAVAILABLE', 'sqlite: locked');
        },
      },
      identities: {},
    } as unknown as Database;
    const live = new LiveFollowers(broken, clock, {
      debug: () => undefined,
      info: () => undefined,
      warn: (fields: Record<string, unknown>) => warnings.push(fields),
      error: () => undefined,
    });
    expect(await live.apply(push('oF', { Event: 'subscribe' }))).toBe('failed');
    expect(warnings).toEqual([
      expect.objectContaining({ appid: APPID, code: 'WXHUB_ERR_DATABASE_UNAVAILABLE' }),
    ]);
    expect(JSON.stringify(warnings)).not.toContain('oF');
  });
});
