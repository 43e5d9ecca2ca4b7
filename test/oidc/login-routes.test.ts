import * as oidcClient from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/hub/index.js';
import {
  CookieJar,
  DESKTOP_UA,
  type OidcFixture,
  oidcFixture,
  REDIRECT_URI,
  WECHAT_UA,
} from './support/oidc-fixture.js';

describe('OpenID Connect provider: login routes and refusals', () => {
  let f: OidcFixture;
  let hub: Hub;
  let issuer: string;
  let rp: oidcClient.Configuration;
  let spa: oidcClient.Configuration;

  beforeAll(async () => {
    f = await oidcFixture();
    ({ hub, issuer } = await f.startHub());
    rp = await f.discover(issuer, 'rp');
    spa = await f.discover(issuer, 'spa');
  });
  afterAll(async () => f?.close());

  it('never redirects to an unregistered redirect_uri', async () => {
    const request = await f.authorizationRequest(rp, 'openid');
    const evil = new URL(request.url);
    evil.searchParams.set('redirect_uri', 'https://evil.example.com/cb');
    const res = await fetch(evil, { redirect: 'manual', headers: { 'user-agent': WECHAT_UA } });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const page = await res.text();
    expect(page).toContain('redirect_uri');
    expect(page).toContain('无法登录');
    expect(page).not.toContain('evil.example.com');
  });

  it('keeps a login in progress in signed, HttpOnly, SameSite=Lax cookies', async () => {
    const request = await f.authorizationRequest(rp, 'openid');
    const res = await fetch(request.url, { redirect: 'manual', headers: { 'user-agent': WECHAT_UA } });
    const cookies = res.headers.getSetCookie();
    const names = cookies.map((c) => c.split('=', 1)[0]);
    expect(names).toEqual(
      expect.arrayContaining(['_interaction', '_interaction.sig', '_interaction_resume']),
    );
    for (const cookie of cookies) {
      expect(cookie).toMatch(/httponly/i);
      expect(cookie).toMatch(/samesite=lax/i);
    }
  });

  it("sends WeChat's browser from the authorization endpoint straight to WeChat; the interaction page still routes", async () => {
    const request = await f.authorizationRequest(rp, 'openid profile');
    const res = await fetch(request.url, { redirect: 'manual', headers: { 'user-agent': WECHAT_UA } });
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const wechat = new URL(res.headers.get('location')!);
    expect(wechat.origin + wechat.pathname).toBe(`${f.sim.url}/connect/oauth2/authorize`);
    expect(wechat.searchParams.get('scope')).toBe('snsapi_userinfo');
    const back = new URL(wechat.searchParams.get('redirect_uri')!);
    const uid = /^\/oidc\/interaction\/([^/]+)\/wechat\/wx[0-9a-f]{16}$/.exec(back.pathname)?.[1];
    expect(uid).toBeTruthy();
    // The login's cookie is scoped to its interaction page, as when the browser went through it.
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('_interaction='))!;
    expect(cookie).toContain(`path=/oidc/interaction/${uid}`);
    const jar = new CookieJar();
    jar.take(res);
    const page = await fetch(`${issuer}/interaction/${uid}`, {
      redirect: 'manual',
      headers: { 'user-agent': WECHAT_UA, cookie: jar.header() },
    });
    expect(page.status).toBe(302);
    const again = new URL(page.headers.get('location')!);
    expect(again.searchParams.get('redirect_uri')).toBe(back.href);
    expect(again.searchParams.get('state')).not.toBe(wechat.searchParams.get('state'));
  });

  it('sends a desktop browser without a website app to the interaction page', async () => {
    const request = await f.authorizationRequest(spa, 'openid');
    const res = await fetch(request.url, { redirect: 'manual', headers: { 'user-agent': DESKTOP_UA } });
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get('location')!, issuer).pathname).toMatch(/^\/oidc\/interaction\/[^/]+$/);
  });

  it('requires PKCE of a public client (no client_secret)', async () => {
    const url = oidcClient.buildAuthorizationUrl(spa, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 's1',
    });
    const res = await fetch(url, { redirect: 'manual', headers: { 'user-agent': WECHAT_UA } });
    const back = new URL(res.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(REDIRECT_URI);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('state')).toBe('s1');
  });

  it('logs a public client in with PKCE', async () => {
    const user = await f.sim.user(f.shop.appid, {});
    const { tokens } = await f.login(spa, { openid: user.openid });
    expect(tokens.claims()?.openid).toBe(user.openid);
  });

  it('answers access_denied with the client state when the user refuses in WeChat', async () => {
    const user = await f.sim.user(f.shop.appid, {});
    const request = await f.authorizationRequest(rp, 'openid profile');
    const walked = await f.browse(request.url.href, {
      userAgent: WECHAT_UA,
      openid: user.openid,
      deny: true,
    });
    expect(walked.final.origin + walked.final.pathname).toBe(REDIRECT_URI);
    expect(walked.final.searchParams.get('error')).toBe('access_denied');
    expect(walked.final.searchParams.get('state')).toBe(request.state);
    expect(walked.final.searchParams.get('code')).toBeNull();
  });

  it('refuses a snapshot-page user with access_denied and creates no user', async () => {
    const before = (await hub.database.identities.list(f.shop.appid)).total;
    const request = await f.authorizationRequest(rp, 'openid profile');
    const walked = await f.browse(request.url.href, { userAgent: WECHAT_UA, snapshot: true });
    // WeChat did give a code (for a virtual openid): the hub refused it after the exchange.
    expect(walked.hops.some((h) => h.includes('/wechat/') && h.includes('code='))).toBe(true);
    expect(walked.final.searchParams.get('error')).toBe('access_denied');
    expect(walked.final.searchParams.get('state')).toBe(request.state);
    expect((await hub.database.identities.list(f.shop.appid)).total).toBe(before);
  });

  it('on a desktop with a website app: the website QR login, joined to the account user by unionid', async () => {
    const unionid = `u_${Math.random().toString(36).slice(2)}`;
    const member = await f.sim.user(f.shop.appid, { unionid, nickname: 'Bo', subscribe: 1 });
    const first = await f.login(rp, { scope: 'openid profile', openid: member.openid });
    const webUser = await f.sim.user(f.site.appid, { unionid, nickname: 'Bo' });
    const request = await f.authorizationRequest(rp, 'openid profile');
    const walked = await f.browse(request.url.href, { userAgent: DESKTOP_UA, openid: webUser.openid });
    const qr = walked.hops.find((h) => h.includes('/connect/qrconnect'))!;
    expect(qr).toMatch(
      new RegExp(
        `/connect/qrconnect\\?appid=${f.site.appid}&redirect_uri=[^&]+&response_type=code&scope=snsapi_login&state=[A-Za-z0-9]{1,128}#wechat_redirect$`,
      ),
    );
    const tokens = await oidcClient.authorizationCodeGrant(rp, walked.final, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(first.tokens.claims()!.sub);
    expect(claims.unionid).toBe(unionid);
    expect(claims.openid).toBe(member.openid);
    expect(claims.is_follower).toBe(true);
  });

  it('on a desktop without a website app or follow login: a bilingual "open in WeChat" page', async () => {
    const request = await f.authorizationRequest(spa, 'openid');
    const walked = await f.browse(request.url.href, { userAgent: DESKTOP_UA });
    expect(walked.page?.status).toBe(200);
    const page = await walked.page!.text();
    expect(page).toContain('请在微信中打开');
    expect(page).toContain('Open this page in WeChat');
    expect(page).toContain(`${issuer}/auth?`);
  });

  it('reuses the session for another client of the same account (no WeChat hop, no consent page)', async () => {
    const user = await f.sim.user(f.shop.appid, {});
    const jar = new CookieJar();
    const first = await f.login(rp, { openid: user.openid, jar });
    expect(first.walked.hops.some((h) => h.startsWith(f.sim.url))).toBe(true);
    const second = await f.login(spa, { openid: user.openid, jar });
    expect(
      second.walked.hops.some((h) => h.startsWith(f.sim.url)),
      second.walked.hops.join('\n'),
    ).toBe(false);
    expect(second.tokens.claims()?.sub).toBe(first.tokens.claims()?.sub);
  });

  it("logs in again through WeChat for a client of an account the session's user never used", async () => {
    const unionid = `u_${Math.random().toString(36).slice(2)}`;
    const onShop = await f.sim.user(f.shop.appid, { unionid });
    const onNews = await f.sim.user(f.news.appid, { unionid });
    const jar = new CookieJar();
    const first = await f.login(rp, { openid: onShop.openid, jar });
    const news = await f.discover(issuer, 'news');
    const second = await f.login(news, { openid: onNews.openid, jar });
    expect(second.walked.hops.some((h) => h.includes(`appid=${f.news.appid}`))).toBe(true);
    expect(second.tokens.claims()).toMatchObject({
      sub: first.tokens.claims()!.sub,
      openid: onNews.openid,
      unionid,
    });
  });

  it('gives a pairwise client its own stable sub', async () => {
    const pw = await f.discover(issuer, 'pw');
    const user = await f.sim.user(f.shop.appid, {});
    const a = (await f.login(pw, { openid: user.openid })).tokens.claims()!.sub;
    const b = (await f.login(pw, { openid: user.openid })).tokens.claims()!.sub;
    const public_ = (await f.login(rp, { openid: user.openid })).tokens.claims()!.sub;
    expect(a).toBe(b);
    expect(a).not.toBe(public_);
  });

  it('refuses an OIDC login state at the web login callback, and a web login state at the OIDC one', async () => {
    const request = await f.authorizationRequest(rp, 'openid');
    const jar = new CookieJar();
    const walked = await f.browse(request.url.href, {
      userAgent: WECHAT_UA,
      jar,
      stopAt: (url) => url.pathname.includes('/connect/oauth2/authorize'),
    });
    const state = walked.final.searchParams.get('state')!;
    const res = await hub.app.inject({ url: `/oauth/${f.shop.appid}/callback?code=x&state=${state}` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_OAUTH_STATE');
    const redirect = new URL(walked.final.searchParams.get('redirect_uri')!);
    const again = await fetch(`${redirect.href}?code=x&state=${state}`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    });
    expect(again.status).toBe(400);
    expect(again.headers.get('x-wxhub-error')).toBe('WXHUB_ERR_OAUTH_STATE');
  });

  it('answers an interaction page without its login with a bilingual problem page', async () => {
    const res = await hub.app.inject({ url: '/oidc/interaction/nope' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_OIDC_INTERACTION');
    expect(res.body).toContain('登录已失效');
  });

  it('ends the session (RP-initiated logout): a bilingual confirmation, then the post-logout URI', async () => {
    const user = await f.sim.user(f.shop.appid, {});
    const { tokens, walked } = await f.login(rp, { openid: user.openid });
    const url = oidcClient.buildEndSessionUrl(rp, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'https://rp.example.com/bye',
      state: 'bye1',
    });
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: walked.jar.header() } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('退出登录');
    expect(page).toContain('Log out');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)![1]!;
    const action = /action="([^"]+)"/.exec(page)![1]!;
    const confirmed = await fetch(action, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: walked.jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe('https://rp.example.com/bye?state=bye1');
  });
});
