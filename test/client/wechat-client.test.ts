import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeChatClient } from '../../src/client/index.js';
import { isWeChatError, isWxhubError } from '../../src/errors/index.js';
import { jsapiSignature } from '../../src/wechat/jssdk-signature.js';
import { startTestSim, type TestSim } from '../support/sim.js';

const BIG = { appid: 'wxbigaccount0000001', secret: 'big-secret', unionBound: true };
const FOLLOWERS = 10_050;

let sim: TestSim;
const clients: WeChatClient[] = [];

beforeAll(async () => {
  // One account with more followers than fit in one user/get page.
  sim = await startTestSim({
    accounts: [
      {
        ...BIG,
        oauthDomains: ['app.example.com'],
        users: Array.from({ length: FOLLOWERS }, (_, i) => ({
          openid: `oBig${String(i).padStart(24, '0')}`,
        })),
      },
    ],
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sim.close();
});

function client(
  appid: string,
  secret: string,
  extra: Partial<ConstructorParameters<typeof WeChatClient>[0]> = {},
) {
  const c = new WeChatClient({
    appid,
    secret,
    endpoints: { api: sim.url, open: sim.url },
    clock: sim.clock,
    ...extra,
  });
  clients.push(c);
  return c;
}

describe('WeChatClient users', () => {
  it('gets one user with WeChat field names, unionid on bound accounts', async () => {
    const account = await sim.account({ unionBound: true });
    const user = await sim.user(account.appid, { unionid: 'oUnion1234567890abcdefghijkl', subscribe: 1 });
    const info = await client(account.appid, account.secret).users.get(user.openid, 'en');
    expect(info).toMatchObject({
      subscribe: 1,
      openid: user.openid,
      unionid: 'oUnion1234567890abcdefghijkl',
    });
    expect(typeof info.subscribe_time).toBe('number');
    expect(info.nickname).toBeUndefined(); // current behaviour: no profile fields
  });

  it('accepts the legacy field set (nickname, sex, headimgurl)', async () => {
    const account = await sim.account({ legacyProfile: true });
    const user = await sim.user(account.appid, { nickname: '老用户', sex: 1 });
    const info = await client(account.appid, account.secret).users.get(user.openid);
    expect(info).toMatchObject({ nickname: '老用户', sex: 1 });
    expect(info.headimgurl).toMatch(/^http/);
  });

  it('rejects with WeChatError carrying errcode, rid and path', async () => {
    const account = await sim.account();
    const err = await client(account.appid, account.secret)
      .users.get('oNoSuchUser')
      .catch((e) => e);
    expect(isWeChatError(err)).toBe(true);
    expect(err).toMatchObject({ errcode: 40003, path: '/cgi-bin/user/info' });
    expect(err.rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  });

  it('lists followers page by page, and all() walks every page', async () => {
    const c = client(BIG.appid, BIG.secret);
    const first = await c.users.list();
    expect(first).toMatchObject({ total: FOLLOWERS, count: 10_000 });
    const second = await c.users.list(first.next_openid);
    expect(second.count).toBe(FOLLOWERS - 10_000);
    const before = await sim.calls(BIG.appid, '/cgi-bin/user/get');
    const all: string[] = [];
    for await (const openid of c.users.all()) all.push(openid);
    expect(all).toHaveLength(FOLLOWERS);
    expect(new Set(all).size).toBe(FOLLOWERS);
    expect((await sim.calls(BIG.appid, '/cgi-bin/user/get')) - before).toBe(2); // no extra empty page
  });

  it('batchGets in chunks of 100, in the order asked', async () => {
    const c = client(BIG.appid, BIG.secret);
    const openids = Array.from({ length: 250 }, (_, i) => `oBig${String(i * 7).padStart(24, '0')}`);
    const before = await sim.calls(BIG.appid, '/cgi-bin/user/info/batchget');
    const { user_info_list } = await c.users.batchGet(openids, 'zh_CN');
    expect(user_info_list.map((u) => u.openid)).toEqual(openids);
    expect((await sim.calls(BIG.appid, '/cgi-bin/user/info/batchget')) - before).toBe(3);
  });
});

describe('WeChatClient token handling', () => {
  it('retries exactly once after a dead token, refreshing it', async () => {
    const account = await sim.account();
    const user = await sim.user(account.appid);
    const c = client(account.appid, account.secret, { tokenMode: 'classic' });
    const before = await c.getAccessToken();
    await sim.invalidate(account.appid, true);
    await expect(c.users.get(user.openid)).resolves.toMatchObject({ openid: user.openid });
    expect(await c.getAccessToken()).not.toBe(before);
    expect(await sim.calls(account.appid, '/cgi-bin/user/info')).toBe(2);
    expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(2);
  });

  it('never loops: a token error that persists rejects after one retry', async () => {
    const account = await sim.account();
    const user = await sim.user(account.appid);
    const c = client(account.appid, account.secret, { tokenMode: 'classic' });
    await c.getAccessToken();
    await sim.fault({ path: '/cgi-bin/user/info', appid: account.appid, rate: 1, errcode: 40001 });
    const err = await c.users.get(user.openid).catch((e) => e);
    await sim.clearFaults();
    expect(err).toMatchObject({ errcode: 40001 });
    expect(await sim.calls(account.appid, '/cgi-bin/user/info')).toBe(2);
  });

  it('tells onUpstream of every WeChat call, failures included', async () => {
    const account = await sim.account();
    const user = await sim.user(account.appid);
    const events: { appid: string; path: string; errcode: number }[] = [];
    const c = client(account.appid, account.secret, { onUpstream: (e) => events.push(e) });
    await c.users.get(user.openid);
    await c.users.get('oMissing').catch(() => undefined);
    await c.oauth.check('bad-web-token', user.openid).catch(() => undefined);
    expect(events.map(({ appid, path, errcode }) => ({ appid, path, errcode }))).toEqual([
      { appid: account.appid, path: '/cgi-bin/user/info', errcode: 0 },
      { appid: account.appid, path: '/cgi-bin/user/info', errcode: 40003 },
      { appid: account.appid, path: '/sns/auth', errcode: 40001 },
    ]);
  });

  it('call() reaches any endpoint with the token put in', async () => {
    const account = await sim.account();
    const c = client(account.appid, account.secret);
    const body = await c.call('POST', '/cgi-bin/openapi/quota/get', {
      body: { cgi_path: '/cgi-bin/user/info' },
    });
    expect(body).toHaveProperty('quota');
    await expect(c.call('GET', 'no-slash')).rejects.toThrow(/path must start with \//);
  });

  it('requires a secret unless a token provider is given', () => {
    expect(() => new WeChatClient({ appid: 'wx1' })).toThrow(/secret is required/);
    expect(() => new WeChatClient({ appid: '', secret: 's' })).toThrow(/appid/);
    expect(() => new WeChatClient({ appid: 'wx1', secret: 's', endpoints: { api: 'ftp://x' } })).toThrow(
      /endpoints\.api/,
    );
  });
});

describe('WeChatClient JS-SDK', () => {
  it('signs a URL with the account ticket', async () => {
    const account = await sim.account();
    const c = client(account.appid, account.secret);
    const config = await c.jssdk.sign('https://app.example.com/page?x=1#frag');
    const ticket = await c.tokens.getTicket(account.appid, 'jsapi');
    expect(config).toMatchObject({ appId: account.appid, timestamp: Math.floor(sim.clock.now() / 1000) });
    expect(config.nonceStr).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(config.signature).toBe(
      jsapiSignature({
        jsapi_ticket: ticket,
        noncestr: config.nonceStr,
        timestamp: config.timestamp,
        url: 'https://app.example.com/page?x=1',
      }),
    );
    expect(config.signature).toBe(
      createHash('sha1')
        .update(
          `jsapi_ticket=${ticket}&noncestr=${config.nonceStr}&timestamp=${config.timestamp}&url=https://app.example.com/page?x=1`,
        )
        .digest('hex'),
    );
  });
});

describe('WeChatClient OAuth', () => {
  it('builds the authorize link in WeChat order, on the configured host', () => {
    const c = client(BIG.appid, BIG.secret);
    expect(
      c.oauth.authorizeUrl({
        redirectUri: 'https://app.example.com/cb?a=1',
        scope: 'snsapi_userinfo',
        state: 'xyz123',
      }),
    ).toBe(
      `${sim.url}/connect/oauth2/authorize?appid=${BIG.appid}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Fa%3D1&response_type=code&scope=snsapi_userinfo&state=xyz123#wechat_redirect`,
    );
    expect(() => c.oauth.authorizeUrl({ redirectUri: 'https://x', state: 'bad state!' })).toThrow(/state/);
  });

  it('builds the website QR login link (qrconnect, snsapi_login) in WeChat order', () => {
    const c = client(BIG.appid, BIG.secret);
    expect(c.oauth.qrConnectUrl({ redirectUri: 'https://app.example.com/cb', state: 'abc' })).toBe(
      `${sim.url}/connect/qrconnect?appid=${BIG.appid}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=snsapi_login&state=abc#wechat_redirect`,
    );
    expect(() => c.oauth.qrConnectUrl({ redirectUri: 'https://x', state: 'x'.repeat(129) })).toThrow(/state/);
  });

  async function codeFor(c: WeChatClient, openid: string, scope: 'snsapi_base' | 'snsapi_userinfo') {
    const res = await fetch(
      c.oauth.authorizeUrl({ redirectUri: 'https://app.example.com/cb', scope, state: 's1' }),
      {
        headers: { 'X-Sim-User': openid },
        redirect: 'manual',
      },
    );
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe('s1');
    return location.searchParams.get('code') as string;
  }

  it('exchanges a code, refreshes, reads the profile and checks the web token', async () => {
    const c = client(BIG.appid, BIG.secret);
    const openid = `oBig${'0'.repeat(24)}`;
    const token = await c.oauth.exchangeCode(await codeFor(c, openid, 'snsapi_userinfo'));
    expect(token).toMatchObject({ openid, scope: 'snsapi_userinfo', expires_in: 7200 });
    expect(token.unionid).toBeTruthy();
    const profile = await c.oauth.userInfo(token.access_token, openid);
    expect(profile).toMatchObject({ openid, unionid: token.unionid });
    expect(await c.oauth.check(token.access_token, openid)).toMatchObject({ errcode: 0, errmsg: 'ok' });
    const refreshed = await c.oauth.refresh(token.refresh_token);
    expect(refreshed.access_token).not.toBe(token.access_token);
    // a code is single use
    await expect(
      c.oauth.exchangeCode(await codeFor(c, openid, 'snsapi_base')).then(() => 'ok'),
    ).resolves.toBe('ok');
  });

  it('reports WeChat OAuth errors as WeChatError', async () => {
    const c = client(BIG.appid, BIG.secret);
    const openid = `oBig${'0'.repeat(24)}`;
    const code = await codeFor(c, openid, 'snsapi_base');
    const token = await c.oauth.exchangeCode(code);
    await expect(c.oauth.exchangeCode(code)).rejects.toMatchObject({ errcode: 40163 });
    await expect(c.oauth.userInfo(token.access_token, openid)).rejects.toMatchObject({ errcode: 48001 });
    await expect(c.oauth.check(token.access_token, 'oOther')).rejects.toMatchObject({ errcode: 40003 });
  });

  it('needs the secret to exchange a code', async () => {
    const c = new WeChatClient({
      appid: BIG.appid,
      tokens: {
        getAccessToken: async () => 't',
        refreshAccessToken: async () => 't',
        getTicket: async () => 't',
      },
      endpoints: { api: sim.url, open: sim.url },
    });
    clients.push(c);
    const err = await c.oauth.exchangeCode('code').catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')).toBe(true);
  });
});
