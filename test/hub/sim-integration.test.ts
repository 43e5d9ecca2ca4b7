import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedHub, startHub } from '../../src/hub/index.js';
import { HubTokenProvider, WeChatClient } from '../../src/index.js';
import { type RunningSimulator, startSimulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { SimControl } from './support/sim-control.js';

const APPID = 'wx5151515151515151';
const SECRET = `s${randomBytes(15).toString('hex')}`;

describe('hub against the WeChat simulator', () => {
  let sim: RunningSimulator;
  let control: SimControl;
  let hub: StartedHub;
  let clock: ManualClock;
  let key: string;
  let openid: string;

  beforeAll(async () => {
    sim = await startSimulator({ host: '127.0.0.1', port: 0 });
    control = new SimControl(sim.url);
    await control.account({ appid: APPID, secret: SECRET });
    openid = (await control.user(APPID, { nickname: 'Ada' })).openid;
    clock = new ManualClock(await control.now());
    hub = await startHub({
      config: {
        store: 'memory:',
        database: 'memory:',
        wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: 500 },
        accounts: [{ appid: APPID, secret: SECRET, tokenMode: 'classic' }],
      },
      clock,
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
      tokens: { retryStrategy: () => null },
    });
    key = (
      await hub.services.keys.create({ name: 'it', appids: [APPID], scopes: ['token', 'refresh', 'proxy'] })
    ).key;
  });
  afterAll(async () => {
    await hub?.close();
    await sim?.close();
  });

  const get = async (path: string) => {
    const res = await request(`${hub.url}${path}`);
    return { status: res.statusCode, type: res.headers['content-type'], text: await res.body.text() };
  };
  const tokenFetches = async () => (await control.stats()).calls['/cgi-bin/token'] ?? 0;
  const userInfoCalls = async () => (await control.stats()).calls['/cgi-bin/user/info'] ?? 0;

  it('a stand-in from the drop-in /cgi-bin/token keeps working across rotations, one refresh each', async () => {
    const issued = await get(`/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${key}`);
    expect(issued.status).toBe(200);
    const { access_token: standIn, expires_in } = JSON.parse(issued.text);
    expect(expires_in).toBe(7200);
    expect(standIn).toMatch(/^[A-Za-z0-9_-]{100,512}$/);
    const first = await get(`/cgi-bin/user/info?access_token=${standIn}&openid=${openid}`);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ subscribe: 1, openid });
    expect(await tokenFetches()).toBe(1);

    for (let rotation = 1; rotation <= 3; rotation++) {
      // Someone else fetched (our token dies at once), and WeChat's clock passed the expiry.
      await control.invalidateTokens(APPID, true);
      await control.advance(7300);
      clock.advance(1500_000); // the hub's clock moves too, but the stand-in stays under 7200 s
      const before = await tokenFetches();
      const res = await get(`/cgi-bin/user/info?access_token=${standIn}&openid=${openid}`);
      expect(res.status, res.text).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ openid });
      expect(res.text).not.toMatch(/"errcode":4(0001|0014|2001)/);
      expect(await tokenFetches(), `rotation ${rotation}`).toBe(before + 1);
    }

    // A storm after a rotation: 20 callers at once, still one refresh.
    await control.invalidateTokens(APPID, true);
    const before = await tokenFetches();
    const storm = await Promise.all(
      Array.from({ length: 20 }, () => get(`/cgi-bin/user/info?access_token=${standIn}&openid=${openid}`)),
    );
    expect(storm.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await tokenFetches()).toBe(before + 1);

    // Past 7200 s by the hub's clock the stand-in is refused, without calling WeChat.
    clock.advance(7200_000);
    const calls = await userInfoCalls();
    const old = await get(`/cgi-bin/user/info?access_token=${standIn}&openid=${openid}`);
    expect(old.status).toBe(200);
    expect(JSON.parse(old.text).errcode).toBe(40001);
    expect(await userInfoCalls()).toBe(calls);
  });

  it('an upstream that hangs: errcode -1 (HTTP 200) within wechat.timeoutMs', async () => {
    await control.fault({ path: '/cgi-bin/user/info', rate: 1, hang: true, count: 1 });
    const started = Date.now();
    const res = await get(`/cgi-bin/user/info?access_token=${key}&openid=${openid}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).errcode).toBe(-1);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('an upstream gateway answering HTML: passed through as sent', async () => {
    const html = '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>';
    await control.fault({ path: '/cgi-bin/user/info', rate: 1, httpStatus: 502, body: html, count: 1 });
    const res = await get(`/cgi-bin/user/info?access_token=${key}&openid=${openid}`);
    expect(res.status).toBe(502);
    expect(res.type).toMatch(/^text\/html/);
    expect(res.text).toBe(html);
    const after = await get(`/cgi-bin/user/info?access_token=${key}&openid=${openid}`);
    expect(after.status).toBe(200);
  });

  it('the SDK with HubTokenProvider gets its tokens from the hub and recovers from a rotation', async () => {
    const client = new WeChatClient({
      appid: APPID,
      tokens: new HubTokenProvider({ url: hub.url, key }),
      endpoints: { api: sim.url, open: sim.url },
    });
    try {
      expect(await client.users.get(openid)).toMatchObject({ openid, subscribe: 1 });
      await control.invalidateTokens(APPID, true);
      expect(await client.users.get(openid)).toMatchObject({ openid });
      const ticket = await client.jssdk.sign('https://shop.example.com/p');
      expect(ticket).toMatchObject({ appId: APPID });
    } finally {
      await client.close?.();
    }
  });

  it('legacy SDK code (co-wechat-api) moves to the hub by changing its host and nothing else', async () => {
    interface LegacyApi {
      prefix: string;
      getUser(openid: string): Promise<Record<string, unknown>>;
    }
    // CommonJS without types: loaded the way the benchmarks load it.
    const WechatAPI = createRequire(import.meta.url)('co-wechat-api') as new (
      appid: string,
      secret: string,
    ) => LegacyApi;
    const legacy = new WechatAPI(APPID, key);
    legacy.prefix = `${hub.url}/cgi-bin/`;
    expect(await legacy.getUser(openid)).toMatchObject({ openid });
    await control.invalidateTokens(APPID, true);
    await control.advance(7300);
    expect(await legacy.getUser(openid)).toMatchObject({ openid });
  });
});
