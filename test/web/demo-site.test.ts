import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_COOKIE } from '../../src/web/demo-site/demo-site-routes.js';
import type { RedeemedLogin } from '../../src/web/demo-site/ticket-redeemer.js';
import { isWebPath } from '../../src/web/web-routes.js';
import { APP_A, APP_B } from '../hub/support/hub-fixture.js';
import { cookieFrom, HTML, setCookie, type WebFixture, webFixture } from './support/web-fixture.js';

const AVATAR = 'http://127.0.0.1:9100/mmopen/AbCdEf/132';
const FIRST = Date.UTC(2026, 0, 1, 12, 0, 0);

function login(
  overrides: Partial<RedeemedLogin['identity']> = {},
  more: Partial<RedeemedLogin> = {},
): RedeemedLogin {
  return {
    user: { id: 'U1234567890abcdefghijk', unionid: 'oUnion0000000000000000000001', created_at: FIRST },
    identity: {
      appid: APP_A,
      openid: 'oOpenid000000000000000000001',
      unionid: 'oUnion0000000000000000000001',
      nickname: '张伟',
      headimgurl: AVATAR,
      subscribe: 1,
      first_login_at: FIRST,
      last_login_at: FIRST + 3600_000,
      ...overrides,
    },
    is_new: true,
    ...more,
  };
}

describe('demo site routes', () => {
  let f: WebFixture;
  beforeAll(async () => {
    f = await webFixture();
  });
  afterAll(() => f.close());
  beforeEach(() => {
    f.redeemed.length = 0;
  });

  /** Redeems `result` through /profile?wxhub_ticket=… and returns the session cookie. */
  async function signIn(result: RedeemedLogin, ticket = 'T-good_ticket-123'): Promise<string> {
    f.nextRedeem = { ok: true, login: result };
    const res = await f.web.inject({ url: `/profile?wxhub_ticket=${ticket}`, headers: HTML });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/profile');
    return cookieFrom(res, DEMO_COOKIE);
  }

  it('home: a "Log in with WeChat" link per account to the hub login, back to this origin, both scopes', async () => {
    const res = await f.web.inject({ url: '/', headers: { ...HTML, host: 'shop.example:3000' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('使用微信登录 <span class="en" lang="en">/ Log in with WeChat</span>');
    const returnTo = encodeURIComponent('http://shop.example:3000/profile');
    for (const appid of [APP_A, APP_B]) {
      expect(res.body).toContain(
        `href="/oauth/${appid}/login?return_to=${returnTo}&amp;scope=snsapi_userinfo"`,
      );
      expect(res.body).toContain(`href="/oauth/${appid}/login?return_to=${returnTo}&amp;scope=snsapi_base"`);
    }
    expect(res.body).toContain('Second &lt;Shop&gt;');
    expect(res.body).toContain('href="/admin"');
    expect(res.headers['content-security-policy']).toContain("form-action 'self'");
  });

  it('profile: redeems the ticket server-side, sets a signed HttpOnly SameSite=Lax cookie and drops the ticket', async () => {
    f.nextRedeem = { ok: true, login: login() };
    const res = await f.web.inject({ url: '/profile?wxhub_ticket=T-good_ticket-123', headers: HTML });
    expect(f.redeemed).toEqual(['T-good_ticket-123']);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/profile');
    expect(setCookie(res, DEMO_COOKIE)).toMatch(
      /^wxhub_demo_session=[\w-]+\.[\w-]+; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/,
    );

    const page = await f.web.inject({
      url: '/profile',
      headers: { ...HTML, cookie: cookieFrom(res, DEMO_COOKIE) },
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    const b = page.body;
    expect(b).toContain(`<img class="avatar big" id="avatar" src="${AVATAR}"`);
    for (const size of [46, 64, 96, 132]) {
      expect(b).toContain(
        `src="http://127.0.0.1:9100/mmopen/AbCdEf/${size}" width="${size}" height="${size}"`,
      );
    }
    expect(b).toContain('href="http://127.0.0.1:9100/mmopen/AbCdEf/0"');
    expect(b).toContain('<h2 id="nickname">张伟</h2>');
    expect(b).toContain('<dd class="mono" id="openid">oOpenid000000000000000000001</dd>');
    expect(b).toContain('<dd class="mono" id="unionid">oUnion0000000000000000000001</dd>');
    expect(b).toMatch(/<dd id="follows">是 <span class="en" lang="en">\/ yes<\/span><\/dd>/);
    expect(b).toContain('Follows 演示商城 Demo Shop');
    expect(b).toContain('<dd class="mono" id="user-id">U1234567890abcdefghijk</dd>');
    expect(b).toContain('<dd id="first-login">2026-01-01 20:00:00</dd>');
    expect(b).toContain('<dd id="last-login">2026-01-01 21:00:00</dd>');
    expect(b).toContain('a new user was created');
    expect(b).toContain('<form method="post" action="/logout">');
  });

  it('escapes a nickname like <script> everywhere it appears', async () => {
    const cookie = await signIn(login({ nickname: '<script>alert("x")</script>' }));
    for (const url of ['/profile', '/']) {
      const page = await f.web.inject({ url, headers: { ...HTML, cookie } });
      expect(page.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(page.body).not.toContain('<script>');
    }
  });

  it('a returning user, a non-follower and a silent (snsapi_base) login say so', async () => {
    const cookie = await signIn(login({ subscribe: 0, nickname: null, headimgurl: null }, { is_new: false }));
    const page = (await f.web.inject({ url: '/profile', headers: { cookie } })).body;
    expect(page).toContain('Welcome back');
    expect(page).toMatch(/<dd id="follows">否 <span class="en" lang="en">\/ no<\/span><\/dd>/);
    expect(page).toContain('No avatar');
    expect(page).toContain('snsapi_base');
    expect(page).not.toContain('id="avatar-sizes"');
  });

  it('a snapshot-page virtual user: bound to no user, and the page explains it', async () => {
    const cookie = await signIn(
      login(
        { is_snapshotuser: 1, unionid: null, nickname: null, headimgurl: null },
        { user: null, is_new: false },
      ),
    );
    const page = (await f.web.inject({ url: '/profile', headers: { cookie } })).body;
    expect(page).toContain('id="snapshot-note"');
    expect(page).toContain('Snapshot-page virtual user');
    expect(page).toContain('binds it to no user (user is null)');
    expect(page).toContain('bound to no user');
  });

  it('wxhub_error and refused tickets land on a friendly page with "log in again", and set no session', async () => {
    const denied = await f.web.inject({ url: '/profile?wxhub_error=access_denied', headers: HTML });
    expect(denied.statusCode).toBe(401);
    expect(denied.body).toContain('data-code="access_denied"');
    expect(denied.body).toContain('You chose Deny');
    expect(denied.body).toContain('<a class="btn primary" href="/" id="login-again">');

    const odd = await f.web.inject({ url: `/profile?wxhub_error=${encodeURIComponent('<img src=x>')}` });
    expect(odd.body).toContain('&lt;img src=x&gt;');
    expect(odd.body).not.toContain('<img src=x>');

    f.nextRedeem = { ok: false, status: 400, code: 'WXHUB_ERR_OAUTH_TICKET', message: 'used' };
    const used = await f.web.inject({ url: '/profile?wxhub_ticket=T-used', headers: HTML });
    expect(used.statusCode).toBe(401);
    expect(used.body).toContain('invalid, already used or expired');
    expect(setCookie(used, DEMO_COOKIE)).toBeUndefined();

    f.nextRedeem = { ok: false, status: 502, code: 'WXHUB_ERR_TRANSPORT', message: 'down' };
    const down = await f.web.inject({ url: '/profile?wxhub_ticket=T-any' });
    expect(down.statusCode).toBe(502);
    expect(down.body).toContain('id="login-again"');

    f.redeemed.length = 0;
    const malformed = await f.web.inject({ url: `/profile?wxhub_ticket=${encodeURIComponent('a b<')}` });
    expect(malformed.statusCode).toBe(401);
    expect(f.redeemed).toEqual([]);
  });

  it('no session, a forged one, an admin cookie or an expired one: back to the home page', async () => {
    expect((await f.web.inject({ url: '/profile' })).headers.location).toBe('/');
    const good = await signIn(login());
    const [name, value] = good.split('=') as [string, string];
    const [body, mac] = value.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forgedBody = Buffer.from(JSON.stringify({ ...payload, openid: 'oSomeoneElse' })).toString(
      'base64url',
    );
    const adminPurpose = f.signer.sign('admin-session', payload, f.t.clock.now() + 60_000);
    for (const cookie of [`${name}=${forgedBody}.${mac}`, `${name}=${adminPurpose}`, `${name}=x.y`]) {
      const res = await f.web.inject({ url: '/profile', headers: { cookie } });
      expect(res.statusCode, cookie).toBe(303);
      expect(res.headers.location).toBe('/');
    }
    f.t.clock.advance(24 * 3600_000);
    expect((await f.web.inject({ url: '/profile', headers: { cookie: good } })).statusCode).toBe(303);
  });

  it('logs out with a POST that clears the cookie', async () => {
    const cookie = await signIn(login());
    const res = await f.web.inject({ method: 'POST', url: '/logout', headers: { cookie } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(setCookie(res, DEMO_COOKIE)).toMatch(/^wxhub_demo_session=; Path=\/; Max-Age=0;/);
  });

  it('serves the stylesheet and the icon', async () => {
    const css = await f.web.inject({ url: '/assets/wxhub.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('--green:#07c160');
    expect((await f.web.inject({ url: '/favicon.ico' })).headers['content-type']).toBe('image/svg+xml');
  });
});

describe('isWebPath (which requests the demo server hands to the pages rather than the hub)', () => {
  it('takes the pages and leaves every hub path alone', () => {
    for (const url of [
      '/',
      '/?x=1',
      '/profile',
      '/profile?wxhub_ticket=T',
      '/logout',
      '/admin',
      '/admin/login',
      `/admin/accounts/${APP_A}?page=2`,
      '/assets/wxhub.css',
      '/favicon.ico',
    ]) {
      expect(isWebPath(url), url).toBe(true);
    }
    for (const url of [
      '/v1/oauth/tickets/redeem',
      `/oauth/${APP_A}/login`,
      '/cgi-bin/token',
      '/sns/userinfo',
      '/healthz',
      '/readyz',
      '/metrics',
      '/openapi.json',
      '/profiles',
      '/administrator',
      '/logout2',
    ]) {
      expect(isWebPath(url), url).toBe(false);
    }
  });
});
