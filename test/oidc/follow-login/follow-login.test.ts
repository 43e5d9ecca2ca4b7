import { describe, expect, it } from 'vitest';
import { isWxhubError, WeChatError, WxhubError } from '../../../src/errors/index.js';
import { toPushEvent } from '../../../src/gateway/receive/push-event.js';
import { parsePushXml } from '../../../src/gateway/xml/push-xml.js';
import { FollowLogin, type QrCodeCaller, SCENE_PREFIX } from '../../../src/oidc/follow-login/index.js';
import { MemoryStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/store.js';
import { ManualClock } from '../../../src/util/clock.js';
import { scanPush } from './support.js';

const APPID = 'wx1234567890abcdef';
const OTHER = 'wxfedcba0987654321';

interface Created {
  appid: string;
  body: { expire_seconds: number; action_name: string; action_info: { scene: { scene_str: string } } };
}

function setup(options: { answer?: Record<string, unknown>; store?: Store; expireSeconds?: number } = {}) {
  const clock = new ManualClock(1_800_000_000_000);
  const store = options.store ?? new MemoryStore({ clock });
  const created: Created[] = [];
  let n = 0;
  const client = (appid: string): QrCodeCaller => {
    if (appid !== APPID && appid !== OTHER) throw new WxhubError('WXHUB_ERR_UNKNOWN_ACCOUNT', appid);
    return {
      async call(_method, path, { body }) {
        expect(path).toBe('/cgi-bin/qrcode/create');
        created.push({ appid, body: body as Created['body'] });
        n++;
        return (
          options.answer ?? {
            ticket: `gQH${n}ticket`,
            expire_seconds: (body as Created['body']).expire_seconds,
            url: 'http://weixin.qq.com/q/x',
          }
        );
      },
    };
  };
  let taken = 0;
  const follow = new FollowLogin({
    store,
    clock,
    client,
    mpBase: 'https://mp.weixin.qq.com',
    expireSeconds: options.expireSeconds,
    limiter: {
      take: () => (++taken > 2 ? { ok: false, retryAfterSeconds: 7 } : { ok: true }) as never,
    },
    rateLimit: { perSecond: 1, burst: 2 },
  });
  const sceneOf = (i = created.length - 1) => created[i]!.body.action_info.scene.scene_str;
  const claimOf = (pageUrl: string) => new URL(pageUrl, 'http://hub').searchParams.get('claim')!;
  return { clock, store, follow, created, sceneOf, claimOf };
}

describe('FollowLogin.start', () => {
  it('creates a temporary QR_STR_SCENE code with a one-time random scene through the token engine', async () => {
    const { follow, created, sceneOf, clock } = setup();
    const started = await follow.start(APPID, { continueUrl: '/oidc/interaction/abc' });
    expect(created).toHaveLength(1);
    expect(created[0]!.appid).toBe(APPID);
    expect(created[0]!.body).toMatchObject({ expire_seconds: 300, action_name: 'QR_STR_SCENE' });
    expect(sceneOf()).toMatch(new RegExp(`^${SCENE_PREFIX}[A-Za-z0-9]{32}$`));
    expect(sceneOf().length).toBeLessThanOrEqual(64);
    expect(started.id).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(started.ticket).toBe('gQH1ticket');
    expect(started.expiresAt).toBe(clock.now() + 300_000);
    expect(started.pageUrl).toMatch(new RegExp(`^/login/follow/${started.id}\\?claim=[A-Za-z0-9_-]{43}$`));
    // The scene is not derivable from what the browser sees.
    expect(started.pageUrl).not.toContain(sceneOf().slice(SCENE_PREFIX.length));
    const again = await follow.start(APPID, { continueUrl: '/x' });
    expect(again.id).not.toBe(started.id);
    expect(sceneOf(1)).not.toBe(sceneOf(0));
  });

  it('uses what WeChat granted when it is less than asked', async () => {
    const { follow, clock } = setup({ answer: { ticket: 't', expire_seconds: 60 } });
    expect((await follow.start(APPID, { continueUrl: '/x' })).expiresAt).toBe(clock.now() + 60_000);
  });

  it('prefixes pageUrl with publicUrl when set', async () => {
    const clock = new ManualClock(0);
    const follow = new FollowLogin({
      store: new MemoryStore({ clock }),
      clock,
      client: () => ({ call: async () => ({ ticket: 't', expire_seconds: 300 }) }),
      mpBase: 'https://mp.weixin.qq.com',
      publicUrl: 'https://hub.example.com/wx',
    });
    const started = await follow.start(APPID, { continueUrl: '/x' });
    expect(started.pageUrl.startsWith(`https://hub.example.com/wx/login/follow/${started.id}?claim=`)).toBe(
      true,
    );
    expect(follow.imageUrl('a b+/=')).toBe(
      'https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=a%20b%2B%2F%3D',
    );
  });

  it.each([
    ['', 'non-empty'],
    ['javascript:alert(1)', 'absolute'],
    ['//evil.example.com/', 'absolute'],
    ['relative/path', 'absolute'],
    ['/a b', 'spaces'],
    ['/a\\b', 'backslashes'],
    [`/${'a'.repeat(2048)}`, '2048'],
  ])('refuses continueUrl %j before calling WeChat', async (continueUrl, why) => {
    const { follow, created } = setup();
    const err = await follow.start(APPID, { continueUrl }).catch((e: unknown) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain('continueUrl');
    expect((err as Error).message).toContain(why);
    expect(created).toHaveLength(0);
  });

  it('accepts an absolute https continueUrl', async () => {
    const { follow } = setup();
    await expect(
      follow.start(APPID, { continueUrl: 'https://rp.example.com/cb?x=1' }),
    ).resolves.toBeDefined();
  });

  it('passes on an unknown account, a WeChat error and a body without a ticket', async () => {
    const { follow } = setup();
    const unknown = await follow.start('wx0000000000000000', { continueUrl: '/x' }).catch((e: unknown) => e);
    expect(isWxhubError(unknown, 'WXHUB_ERR_UNKNOWN_ACCOUNT')).toBe(true);
    const noTicket = await setup({ answer: { expire_seconds: 300 } })
      .follow.start(APPID, { continueUrl: '/x' })
      .catch((e: unknown) => e);
    expect(isWxhubError(noTicket, 'WXHUB_ERR_UPSTREAM_BODY')).toBe(true);
    const clock = new ManualClock(0);
    const failing = new FollowLogin({
      store: new MemoryStore({ clock }),
      clock,
      client: () => ({
        call: async () => {
          throw new WeChatError(45009, 'reach max api daily quota limit', '/cgi-bin/qrcode/create');
        },
      }),
      mpBase: 'https://mp.weixin.qq.com',
    });
    const quota = await failing.start(APPID, { continueUrl: '/x' }).catch((e: unknown) => e);
    expect((quota as WeChatError).errcode).toBe(45009);
  });

  it('takes each start told a client address from the login rate limit', async () => {
    const { follow, created } = setup();
    await follow.start(APPID, { continueUrl: '/x', clientIp: '203.0.113.9' });
    await follow.start(APPID, { continueUrl: '/x', clientIp: '203.0.113.9' });
    const err = await follow
      .start(APPID, { continueUrl: '/x', clientIp: '203.0.113.9' })
      .catch((e: unknown) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_RATE_LIMITED')).toBe(true);
    expect((err as Error).message).toContain('retry in 7 s');
    expect(created).toHaveLength(2);
  });

  it('refuses an account whose pushes the hub does not receive, before calling WeChat', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const follow = new FollowLogin({
      store: new MemoryStore({ clock }),
      clock,
      client: () => ({
        call: async () => {
          calls++;
          return { ticket: 't' };
        },
      }),
      mpBase: 'https://mp.weixin.qq.com',
      receivesPushes: (appid) => appid === APPID,
    });
    expect(follow.available(APPID)).toBe(true);
    expect(follow.available(OTHER)).toBe(false);
    const err = await follow.start(OTHER, { continueUrl: '/x' }).catch((e: unknown) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_CALLBACK_NOT_CONFIGURED')).toBe(true);
    expect(calls).toBe(0);
    await follow.start(APPID, { continueUrl: '/x' });
    expect(calls).toBe(1);
  });

  it('refuses an out-of-range expireSeconds', () => {
    expect(() => setup({ expireSeconds: 5 })).toThrow(/expireSeconds/);
  });
});

describe('FollowLogin.observe and result', () => {
  it('records a follower’s SCAN (EventKey = scene) and hands the openid out once', async () => {
    const { follow, sceneOf } = setup();
    const { id } = await follow.start(APPID, { continueUrl: '/x' });
    expect(await follow.result(id)).toBeNull();
    const push = scanPush({ appid: APPID, openid: 'o-follower', event: 'SCAN', eventKey: sceneOf() });
    expect(await follow.observe(push)).toBe(true);
    expect(await follow.result(id)).toEqual({ appid: APPID, openid: 'o-follower', event: 'SCAN' });
    expect(await follow.result(id)).toBeNull();
    // The login is over: its page no longer shows.
    expect(await follow.view(id, undefined)).toBeNull();
  });

  it('records a new follower’s subscribe (EventKey = qrscene_ + scene)', async () => {
    const { follow, sceneOf } = setup();
    const { id } = await follow.start(APPID, { continueUrl: '/x' });
    const push = scanPush({
      appid: APPID,
      openid: 'o-new',
      event: 'subscribe',
      eventKey: `qrscene_${sceneOf()}`,
    });
    expect(await follow.observe(push)).toBe(true);
    expect(await follow.result(id)).toEqual({ appid: APPID, openid: 'o-new', event: 'subscribe' });
  });

  it('keeps the first scan: a second person scanning the same code changes nothing', async () => {
    const { follow, sceneOf } = setup();
    const { id } = await follow.start(APPID, { continueUrl: '/x' });
    expect(
      await follow.observe(scanPush({ appid: APPID, openid: 'o-first', event: 'SCAN', eventKey: sceneOf() })),
    ).toBe(true);
    expect(
      await follow.observe(
        scanPush({ appid: APPID, openid: 'o-second', event: 'SCAN', eventKey: sceneOf() }),
      ),
    ).toBe(false);
    expect((await follow.result(id))?.openid).toBe('o-first');
  });

  it('ignores other accounts, other events, messages, foreign scenes and unknown scenes', async () => {
    const { follow, sceneOf } = setup();
    const { id } = await follow.start(APPID, { continueUrl: '/x' });
    const scene = sceneOf();
    const ignored = [
      scanPush({ appid: OTHER, openid: 'o', event: 'SCAN', eventKey: scene }),
      scanPush({ appid: APPID, openid: 'o', event: 'SCAN', eventKey: 'promo_42' }),
      scanPush({ appid: APPID, openid: 'o', event: 'SCAN', eventKey: `${SCENE_PREFIX}${'A'.repeat(32)}` }),
      scanPush({ appid: APPID, openid: 'o', event: 'subscribe', eventKey: `qrscene_${scene}x` }),
      { ...scanPush({ appid: APPID, openid: 'o', event: 'SCAN', eventKey: scene }), event: 'unsubscribe' },
      { ...scanPush({ appid: APPID, openid: 'o', event: 'SCAN', eventKey: scene }), event: 'CLICK' },
      toPushEvent(
        APPID,
        parsePushXml(
          `<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>${scene}</Content><MsgId>1</MsgId></xml>`,
        ),
        '',
      ),
    ];
    for (const event of ignored)
      expect(await follow.observe(event), JSON.stringify(event.event_key)).toBe(false);
    expect(await follow.result(id)).toBeNull();
    expect((await follow.view(id, undefined))?.status).toBe('pending');
  });

  it('never throws: a malformed event or a failing store resolves false', async () => {
    const clock = new ManualClock(0);
    const inner = new MemoryStore({ clock });
    let down = false;
    const flaky = new Proxy(inner, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (down) return Promise.reject(new WxhubError('WXHUB_ERR_STORE_UNAVAILABLE', 'redis down'));
          return value.apply(target, args);
        };
      },
    });
    const { follow, sceneOf } = setup({ store: flaky as Store });
    const { id } = await follow.start(APPID, { continueUrl: '/x' });
    expect(await follow.observe(null as never)).toBe(false);
    expect(await follow.observe({ type: 'event' } as never)).toBe(false);
    const push = scanPush({ appid: APPID, openid: 'o', event: 'SCAN', eventKey: sceneOf() });
    down = true;
    await expect(follow.observe(push)).resolves.toBe(false);
    down = false;
    // Nothing was half-written: the same event observed once the store is back completes the login.
    expect(await follow.observe(push)).toBe(true);
    expect((await follow.result(id))?.openid).toBe('o');
  });

  it('refuses malformed ids without a store call', async () => {
    const { follow } = setup();
    expect(await follow.result('../../etc')).toBeNull();
    expect(await follow.view('x'.repeat(33), 's')).toBeNull();
    expect(await follow.claim('', 's')).toBeNull();
  });
});

describe('FollowLogin expiry', () => {
  it('is pending until expiresAt, then expired; a scan pushed within 30 s of expiry still counts', async () => {
    const { follow, sceneOf, clock } = setup();
    const { id } = await follow.start(APPID, { continueUrl: '/x' });
    clock.advance(299_999);
    expect((await follow.view(id, undefined))?.status).toBe('pending');
    clock.advance(1);
    expect((await follow.view(id, undefined))?.status).toBe('expired');
    clock.advance(20_000);
    expect(
      await follow.observe(scanPush({ appid: APPID, openid: 'late', event: 'SCAN', eventKey: sceneOf() })),
    ).toBe(true);
    expect((await follow.view(id, undefined))?.status).toBe('scanned');
  });

  it('ignores a scan pushed after the grace, and forgets the login 10 minutes after expiry', async () => {
    const { follow, sceneOf, clock } = setup();
    const { id } = await follow.start(APPID, { continueUrl: '/x' });
    clock.advance(300_000 + 30_001);
    expect(
      await follow.observe(scanPush({ appid: APPID, openid: 'o', event: 'SCAN', eventKey: sceneOf() })),
    ).toBe(false);
    expect((await follow.view(id, undefined))?.status).toBe('expired');
    clock.advance(10 * 60_000);
    expect(await follow.view(id, undefined)).toBeNull();
    expect(await follow.result(id)).toBeNull();
  });
});

describe('FollowLogin binding', () => {
  it('binds the page to the first browser that presents the claim, once', async () => {
    const { follow, claimOf } = setup();
    const { id, pageUrl } = await follow.start(APPID, { continueUrl: '/x' });
    const secret = claimOf(pageUrl);
    expect((await follow.view(id, undefined))?.bound).toBe(false);
    expect((await follow.view(id, secret))?.bound).toBe(true);
    // A wrong secret neither claims nor uses the claim up.
    expect(await follow.claim(id, 'A'.repeat(43))).toBeNull();
    expect((await follow.claim(id, secret))?.appid).toBe(APPID);
    // A copy of the link opened later (another browser) claims nothing.
    expect(await follow.claim(id, secret)).toBeNull();
    expect((await follow.view(id, 'A'.repeat(43)))?.bound).toBe(false);
    expect(follow.cookieSeconds((await follow.view(id, secret))!.record)).toBe(300 + 600);
  });

  it('keeps only a hash of the binding in the store', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryStore({ clock });
    const puts: string[] = [];
    const spy = new Proxy(store, {
      get(target, name) {
        if (name === 'putOnce')
          return (key: string, value: string, ttl: number) => {
            puts.push(value);
            return target.putOnce(key, value, ttl);
          };
        const value = Reflect.get(target, name);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { follow, claimOf } = setup({ store: spy as Store });
    const { pageUrl } = await follow.start(APPID, { continueUrl: '/x' });
    expect(puts.join('\n')).not.toContain(claimOf(pageUrl));
  });
});
