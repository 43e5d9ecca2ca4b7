import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { takeState } from '../../src/oauth/login-state.js';
import { type OAuthFixture, oauthFixture, SHOP_RETURN } from './support/oauth-fixture.js';

describe('GET /oauth/:appid/callback', () => {
  let t: OAuthFixture;
  let key: string;
  let ada: { openid: string; unionid?: string };

  beforeAll(async () => {
    t = await oauthFixture();
    key = await t.key();
    ada = await t.sim.user(t.shop.appid, { nickname: 'Ada', subscribe: 1 });
  });
  afterEach(async () => {
    await t.sim.clearFaults();
  });
  afterAll(() => t?.close());

  const expectRelogin = (res: Awaited<ReturnType<OAuthFixture['callback']>>, code: string) => {
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['x-wxhub-error']).toBe(code);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('请重新登录');
    expect(res.body).toContain('please log in again');
    expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(res.headers.location).toBeUndefined();
  };

  it('completes a login and 302s to return_to with a ticket, keeping its query', async () => {
    const started = await t.startLogin(t.shop.appid);
    const back = await t.callback(await t.consent(started.authorize, { openid: ada.openid }), started.cookie);
    expect(back.statusCode, back.body).toBe(302);
    const location = new URL(back.headers.location as string);
    expect(`${location.origin}${location.pathname}`).toBe('https://shop.example.com/after-login');
    expect(location.searchParams.get('from')).toBe('menu');
    expect(location.searchParams.get('wxhub_ticket')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(back.headers['cache-control']).toBe('no-store');
    // The cookie entry for this state is cleared.
    expect(String(back.headers['set-cookie'])).toMatch(/^wxhub_oauth_state=; .*Max-Age=0/);
  });

  it('works without the cookie (WeChat’s in-app browser drops cookies): the server-side state decides', async () => {
    const started = await t.startLogin(t.shop.appid);
    const back = await t.callback(await t.consent(started.authorize, { openid: ada.openid }));
    const redeemed = await t.redeem(t.ticketOf(back), key);
    expect(redeemed.json().identity.openid).toBe(ada.openid);
  });

  it('refuses a replayed state: the second use of a callback URL is a "log in again" page', async () => {
    const started = await t.startLogin(t.shop.appid);
    const path = await t.consent(started.authorize, { openid: ada.openid });
    t.ticketOf(await t.callback(path));
    expectRelogin(await t.callback(path), 'WXHUB_ERR_OAUTH_STATE');
  });

  it('refuses a forged state, a missing state and a state of another account', async () => {
    const started = await t.startLogin(t.shop.appid);
    const path = await t.consent(started.authorize, { openid: ada.openid });
    const code = new URLSearchParams(path.split('?')[1]).get('code')!;
    expectRelogin(
      await t.callback(`/oauth/${t.shop.appid}/callback?code=${code}&state=ForgedState123456`),
      'WXHUB_ERR_OAUTH_STATE',
    );
    expectRelogin(await t.callback(`/oauth/${t.shop.appid}/callback?code=${code}`), 'WXHUB_ERR_OAUTH_STATE');
    expectRelogin(
      await t.callback(`/oauth/${t.shop.appid}/callback?code=${code}&state=bad-chars!`),
      'WXHUB_ERR_OAUTH_STATE',
    );
    // A state issued for news, presented at shop's callback.
    const newsLogin = await t.startLogin(t.news.appid, 'https://news.example.com/');
    expectRelogin(
      await t.callback(`/oauth/${t.shop.appid}/callback?code=${code}&state=${newsLogin.state}`),
      'WXHUB_ERR_OAUTH_STATE',
    );
    // The refused attempts did not use the code: the real state still completes the login.
    t.ticketOf(await t.callback(path));
  });

  it('a state refused at another account’s callback is not used up: its own login still completes', async () => {
    const reader = await t.sim.user(t.news.appid, {});
    const newsLogin = await t.startLogin(t.news.appid, 'https://news.example.com/');
    const newsPath = await t.consent(newsLogin.authorize, { openid: reader.openid });
    const crossed = newsPath.replace(`/oauth/${t.news.appid}/`, `/oauth/${t.shop.appid}/`);
    expect(crossed).not.toBe(newsPath);
    expectRelogin(await t.callback(crossed), 'WXHUB_ERR_OAUTH_STATE');
    expectRelogin(await t.callback(crossed, newsLogin.cookie), 'WXHUB_ERR_OAUTH_STATE');
    const back = await t.callback(newsPath, newsLogin.cookie);
    const redeemed = await t.redeem(t.ticketOf(back), key);
    expect(redeemed.json().identity).toMatchObject({ appid: t.news.appid, openid: reader.openid });
  });

  it('refuses an expired state (past oauth.stateTtlSeconds)', async () => {
    const started = await t.startLogin(t.shop.appid);
    const path = await t.consent(started.authorize, { openid: ada.openid });
    t.clock.advance(601_000);
    expectRelogin(await t.callback(path), 'WXHUB_ERR_OAUTH_STATE');
  });

  it('a state lives oauth.stateTtlSeconds exactly: a millisecond inside works, a millisecond past does not', async () => {
    const inside = await t.startLogin(t.shop.appid);
    const insidePath = await t.consent(inside.authorize, { openid: ada.openid });
    const past = await t.startLogin(t.shop.appid);
    const pastPath = await t.consent(past.authorize, { openid: ada.openid });
    t.clock.advance(599_999);
    t.ticketOf(await t.callback(insidePath));
    t.clock.advance(2);
    expectRelogin(await t.callback(pastPath), 'WXHUB_ERR_OAUTH_STATE');
  });

  it('refuses a callback whose cookie holds other states (login started in another browser)', async () => {
    const started = await t.startLogin(t.shop.appid);
    const path = await t.consent(started.authorize, { openid: ada.openid });
    expectRelogin(await t.callback(path, 'wxhub_oauth_state=SomeOtherState0001'), 'WXHUB_ERR_OAUTH_STATE');
    // Not consumed by the refusal: the browser that started it still finishes.
    t.ticketOf(await t.callback(path, `wxhub_oauth_state=SomeOtherState0001.${started.state}`));
  });

  it('a cookie holding no well-formed state counts as no cookie', async () => {
    const started = await t.startLogin(t.shop.appid);
    const path = await t.consent(started.authorize, { openid: ada.openid });
    t.ticketOf(await t.callback(path, 'wxhub_oauth_state=not!a!state'));
  });

  it('a malformed state is refused without asking the store', async () => {
    const taken = vi.spyOn(t.hub.store, 'takeOnce');
    expectRelogin(
      await t.callback(`/oauth/${t.shop.appid}/callback?code=c&state=..%2Fx`),
      'WXHUB_ERR_OAUTH_STATE',
    );
    expect(await takeState(t.hub.store, t.shop.appid, '../x')).toBeNull();
    expect(taken).not.toHaveBeenCalled();
    taken.mockRestore();
  });

  it('a repeated code parameter is a "log in again" page, not a denial', async () => {
    const started = await t.startLogin(t.shop.appid);
    const path = await t.consent(started.authorize, { openid: ada.openid });
    expectRelogin(await t.callback(`${path}&code=second`), 'WXHUB_ERR_OAUTH_CODE');
  });

  it('a denied consent 302s to return_to?wxhub_error=access_denied', async () => {
    const started = await t.startLogin(t.shop.appid);
    const back = await t.callback(await t.consent(started.authorize, { deny: true }), started.cookie);
    expect(back.statusCode).toBe(302);
    expect(back.headers.location).toBe(`${SHOP_RETURN}&wxhub_error=access_denied`);
  });

  it('a reused code (40163) is a "log in again" page linking to a fresh login', async () => {
    const first = await t.startLogin(t.shop.appid);
    const path = await t.consent(first.authorize, { openid: ada.openid });
    t.ticketOf(await t.callback(path));
    const code = new URLSearchParams(path.split('?')[1]).get('code')!;
    const second = await t.startLogin(t.shop.appid);
    const res = await t.callback(`/oauth/${t.shop.appid}/callback?code=${code}&state=${second.state}`);
    expectRelogin(res, 'WXHUB_ERR_OAUTH_CODE');
    expect(res.body).toContain(
      `href="/oauth/${t.shop.appid}/login?return_to=${encodeURIComponent(SHOP_RETURN).replace(/&/g, '&amp;')}&amp;scope=snsapi_userinfo"`,
    );
    expect((await t.sim.stats()).errors['40163']).toBeGreaterThanOrEqual(1);
  });

  it('an expired code (the simulator clock 301 s on: 40029) is a "log in again" page', async () => {
    const started = await t.startLogin(t.shop.appid);
    const path = await t.consent(started.authorize, { openid: ada.openid });
    await t.sim.advance(301);
    expectRelogin(await t.callback(path), 'WXHUB_ERR_OAUTH_CODE');
  });

  it('42003 (code expired, as WeChat documents it) is a "log in again" page too', async () => {
    const started = await t.startLogin(t.shop.appid);
    const path = await t.consent(started.authorize, { openid: ada.openid });
    await t.sim.fault({ path: '/sns/oauth2/access_token', rate: 1, errcode: 42003, count: 1 });
    expectRelogin(await t.callback(path), 'WXHUB_ERR_OAUTH_CODE');
  });

  it('a transport failure or -1 in the exchange is a 502 "try again" page', async () => {
    for (const fault of [
      { httpStatus: 502, body: '<html>502 Bad Gateway</html>' },
      { errcode: -1 },
      { hang: true },
    ]) {
      const started = await t.startLogin(t.shop.appid);
      const path = await t.consent(started.authorize, { openid: ada.openid });
      await t.sim.fault({ path: '/sns/oauth2/access_token', rate: 1, count: 1, ...fault });
      const res = await t.callback(path);
      expect(res.statusCode, JSON.stringify(fault)).toBe(502);
      expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_OAUTH_UPSTREAM');
      expect(res.body).toContain('try again');
      expect(res.body).toContain(`href="/oauth/${t.shop.appid}/login?return_to=`);
      expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
      await t.sim.clearFaults();
    }
  });

  it('snsapi_base gives openid, unionid and follow state; snsapi_userinfo adds nickname and avatar', async () => {
    const both = await t.sim.user(t.news.appid, { nickname: '小红', subscribe: 0 });
    const base = await t.login(t.news.appid, both.openid, key, 'snsapi_base', 'https://news.example.com/');
    expect(base.outcome.identity).toEqual({
      appid: t.news.appid,
      openid: both.openid,
      unionid: both.unionid,
      subscribe: 0,
      first_login_at: expect.any(String),
      last_login_at: expect.any(String),
    });
    const info = await t.login(
      t.news.appid,
      both.openid,
      key,
      'snsapi_userinfo',
      'https://news.example.com/',
    );
    expect(info.outcome.identity).toMatchObject({
      nickname: '小红',
      headimgurl: expect.stringMatching(/^http:\/\/.*\/mmopen\/.+\/132$/),
      unionid: both.unionid,
      subscribe: 0,
    });
    // A later snsapi_base login keeps the profile captured earlier.
    const again = await t.login(t.news.appid, both.openid, key, 'snsapi_base', 'https://news.example.com/');
    expect(again.outcome.identity.nickname).toBe('小红');
  });

  it('subscribe is 1 for a follower and 0 for a non-follower, from /cgi-bin/user/info', async () => {
    const follower = await t.sim.user(t.shop.appid, { subscribe: 1 });
    const visitor = await t.sim.user(t.shop.appid, { subscribe: 0 });
    const before = await t.sim.calls(t.shop.appid, '/cgi-bin/user/info');
    expect((await t.login(t.shop.appid, follower.openid, key)).outcome.identity.subscribe).toBe(1);
    expect((await t.login(t.shop.appid, visitor.openid, key)).outcome.identity.subscribe).toBe(0);
    expect(await t.sim.calls(t.shop.appid, '/cgi-bin/user/info')).toBe(before + 2);
  });

  it('a failing /cgi-bin/user/info keeps the last known follow state', async () => {
    const person = await t.sim.user(t.shop.appid, { subscribe: 1 });
    expect((await t.login(t.shop.appid, person.openid, key)).outcome.identity.subscribe).toBe(1);
    await t.sim.fault({ path: '/cgi-bin/user/info', rate: 1, errcode: -1 });
    await t.sim.user(t.shop.appid, { openid: person.openid, subscribe: 0 });
    expect((await t.login(t.shop.appid, person.openid, key)).outcome.identity.subscribe).toBe(1);
    await t.sim.clearFaults();
    expect((await t.login(t.shop.appid, person.openid, key)).outcome.identity.subscribe).toBe(0);
  });

  it('a dead global token during the follow lookup is refreshed and the call retried once', async () => {
    const person = await t.sim.user(t.shop.appid, { subscribe: 1 });
    await t.login(t.shop.appid, person.openid, key);
    await t.sim.invalidate(t.shop.appid, true);
    const fetches = await t.sim.calls(t.shop.appid, '/cgi-bin/token');
    expect((await t.login(t.shop.appid, person.openid, key)).outcome.identity.subscribe).toBe(1);
    expect(await t.sim.calls(t.shop.appid, '/cgi-bin/token')).toBe(fetches + 1);
  });
});
