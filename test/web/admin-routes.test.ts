import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_COOKIE } from '../../src/web/admin/admin-session.js';
import type { FollowerRow, FollowersSource, SyncResult } from '../../src/web/admin/followers-source.js';
import { ValueSigner } from '../../src/web/http/signed-value.js';
import { APP_A, APP_B, SECRET_A } from '../hub/support/hub-fixture.js';
import { cookieFrom, HTML, setCookie, type WebFixture, webFixture } from './support/web-fixture.js';

const EIGHT_HOURS = 8 * 3600_000;

class StubFollowers implements FollowersSource {
  total = 120;
  rows: FollowerRow[] = [
    {
      openid: 'oCaptured0000000000000000001',
      unionid: 'oUnion',
      subscribeTime: Date.UTC(2025, 0, 1),
      nickname: '<script>alert(1)</script>',
      headimgurl: 'http://127.0.0.1:9100/mmopen/abc/132',
      lastLoginAt: Date.UTC(2026, 0, 1),
    },
    {
      openid: 'oNoProfile000000000000000002',
      unionid: null,
      subscribeTime: null,
      nickname: null,
      headimgurl: null,
      lastLoginAt: null,
    },
  ];
  pages: { appid: string; limit: number; offset: number }[] = [];
  syncs: string[] = [];
  syncAnswer: SyncResult | Error = { total: 3, synced: 3, removed: 1 };
  async list(appid: string, page: { limit: number; offset: number }) {
    this.pages.push({ appid, ...page });
    return { total: this.total, rows: this.rows };
  }
  async sync(appid: string) {
    this.syncs.push(appid);
    if (this.syncAnswer instanceof Error) throw this.syncAnswer;
    return this.syncAnswer;
  }
}

describe('operator dashboard routes', () => {
  let f: WebFixture;
  let followers: StubFollowers;
  let adminKey: string;
  let tokenKey: string;

  beforeAll(async () => {
    followers = new StubFollowers();
    f = await webFixture({ followers });
    adminKey = (await f.t.hub.services.keys.create({ name: 'ops <team>', appids: [], scopes: ['admin'] }))
      .key;
    tokenKey = await f.t.key(['token', 'oauth'], [APP_A]);
  });
  afterAll(() => f.close());
  beforeEach(() => {
    followers.pages = [];
    followers.syncs = [];
  });

  const login = async (key = adminKey) =>
    f.web.inject({ method: 'POST', url: '/admin/login', headers: HTML, payload: { key } });
  const session = async () => cookieFrom(await login(), ADMIN_COOKIE);
  const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
  const stat = (html: string, name: string) =>
    new RegExp(`data-stat="${name}"><div class="label">.*?</div><div class="value">(.*?)</div>`).exec(
      html,
    )?.[1];

  describe('the guard', () => {
    it('sends a browser without a session to the login form, and answers 401 to API clients', async () => {
      for (const url of ['/admin', `/admin/accounts/${APP_A}`, '/admin/anything']) {
        const page = await f.web.inject({ url, headers: HTML });
        expect(page.statusCode, url).toBe(303);
        expect(page.headers.location).toBe('/admin/login');
        const api = await f.web.inject({ url });
        expect(api.statusCode, url).toBe(401);
        expect(api.json().error.code).toBe('WXHUB_ERR_UNAUTHORIZED');
      }
      const post = await f.web.inject({
        method: 'POST',
        url: `/admin/accounts/${APP_A}/followers/sync`,
        headers: HTML,
      });
      expect(post.statusCode).toBe(401);
      expect(followers.syncs).toEqual([]);
    });

    it('refuses a wrong key, a malformed one and a key without the admin scope, setting no cookie', async () => {
      const wrong = await login('wxk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      expect(wrong.statusCode).toBe(401);
      expect(wrong.body).toContain('not valid');
      expect(setCookie(wrong, ADMIN_COOKIE)).toBeUndefined();
      expect((await login('junk')).statusCode).toBe(401);
      expect(
        (await f.web.inject({ method: 'POST', url: '/admin/login', headers: HTML, payload: {} })).statusCode,
      ).toBe(401);
      const notAdmin = await login(tokenKey);
      expect(notAdmin.statusCode).toBe(401);
      expect(notAdmin.body).toContain('does not have the admin scope');
      expect(setCookie(notAdmin, ADMIN_COOKIE)).toBeUndefined();
      const api = await f.web.inject({ method: 'POST', url: '/admin/login', payload: { key: tokenKey } });
      expect(api.statusCode).toBe(401);
      expect(api.json().error.code).toBe('WXHUB_ERR_UNAUTHORIZED');
    });

    it('lets an admin key in with a signed HttpOnly SameSite=Strict cookie for 8 h on /admin only', async () => {
      const res = await login();
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/admin');
      const header = setCookie(res, ADMIN_COOKIE)!;
      expect(header).toMatch(/; Path=\/admin; Max-Age=28800; HttpOnly; SameSite=Strict$/);
      expect(header).not.toContain(adminKey);
      const page = await f.web.inject({
        url: '/admin',
        headers: { ...HTML, cookie: cookieFrom(res, ADMIN_COOKIE) },
      });
      expect(page.statusCode).toBe(200);
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.body).toContain('ops &lt;team&gt;');
      // The login form itself forwards a signed-in operator.
      const form = await f.web.inject({
        url: '/admin/login',
        headers: { cookie: cookieFrom(res, ADMIN_COOKIE) },
      });
      expect(form.headers.location).toBe('/admin');
    });

    it('refuses a forged cookie: tampered payload, another signing key, another purpose', async () => {
      const good = await session();
      const [name, value] = good.split('=') as [string, string];
      const [body, mac] = value.split('.') as [string, string];
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
      const tampered = Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + EIGHT_HOURS })).toString(
        'base64url',
      );
      const other = new ValueSigner('another-signing-key-of-enough-length!!');
      const forged = [
        `${name}=${tampered}.${mac}`,
        `${name}=${other.sign('admin-session', payload, f.t.clock.now() + EIGHT_HOURS)}`,
        `${name}=${f.signer.sign('demo-session', payload, f.t.clock.now() + EIGHT_HOURS)}`,
        `${name}=garbage`,
      ];
      for (const cookie of forged) {
        const page = await f.web.inject({ url: '/admin', headers: { ...HTML, cookie } });
        expect(page.statusCode, cookie).toBe(303);
        expect(page.headers.location).toBe('/admin/login?problem=expired');
        expect(setCookie(page, ADMIN_COOKIE)).toMatch(/Max-Age=0/);
        expect((await f.web.inject({ url: '/admin', headers: { cookie } })).statusCode).toBe(401);
      }
      const expiredForm = await f.web.inject({ url: '/admin/login?problem=expired', headers: HTML });
      expect(expiredForm.body).toContain('session expired');
    });

    it('ends a session after 8 hours', async () => {
      const cookie = await session();
      f.t.clock.advance(EIGHT_HOURS - 1000);
      expect((await f.web.inject({ url: '/admin', headers: { ...HTML, cookie } })).statusCode).toBe(200);
      f.t.clock.advance(1000);
      const late = await f.web.inject({ url: '/admin', headers: { ...HTML, cookie } });
      expect(late.statusCode).toBe(303);
      expect((await f.web.inject({ url: '/admin', headers: { cookie } })).statusCode).toBe(401);
    });

    it('ends the sessions of a key when it is revoked', async () => {
      const key = (await f.t.hub.services.keys.create({ name: 'temp', appids: [], scopes: ['admin'] })).key;
      const cookie = cookieFrom(await login(key), ADMIN_COOKIE);
      expect((await f.web.inject({ url: '/admin', headers: { cookie } })).statusCode).toBe(200);
      await f.t.hub.services.keys.revoke(key);
      expect((await f.web.inject({ url: '/admin', headers: { cookie } })).statusCode).toBe(401);
      expect((await login(key)).statusCode).toBe(401);
    });

    it('logs out: the cookie is cleared', async () => {
      const res = await f.web.inject({
        method: 'POST',
        url: '/admin/logout',
        headers: { cookie: await session() },
      });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/admin/login');
      expect(setCookie(res, ADMIN_COOKIE)).toMatch(/^wxhub_admin_session=; Path=\/admin; Max-Age=0;/);
    });
  });

  describe('the pages', () => {
    it('shows each account: token age, next refresh, quota used today, calls and the chart, and no secret', async () => {
      const token = await f.t.hub.manager.getAccessToken(APP_A);
      f.t.clock.advance(90_000);
      const cookie = await session();
      const page = await f.web.inject({ url: '/admin', headers: { ...HTML, cookie } });
      expect(page.statusCode).toBe(200);
      const card = page.body.slice(
        page.body.indexOf(`data-appid="${APP_A}"`),
        page.body.indexOf(`data-appid="${APP_B}"`),
      );
      expect(stat(card, 'token-age')).toBe('1 min 30 s');
      expect(stat(card, 'next-refresh')).toMatch(/^1 h \d\d min$/);
      expect(stat(card, 'expires')).toBe('1 h 58 min');
      expect(stat(card, 'quota')).toBe('1 / 2000');
      expect(stat(card, 'calls')).toBe('1');
      expect(stat(card, 'errors')).toBe('0');
      expect(stat(card, 'followers')).toBe('120');
      expect(card).toContain('<rect class="bar"');
      const other = page.body.slice(page.body.indexOf(`data-appid="${APP_B}"`));
      expect(other).toContain('no token yet');
      for (const secret of [token.value, SECRET_A, adminKey]) expect(page.body).not.toContain(secret);
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.headers['x-frame-options']).toBe('DENY');
    });

    it('shows an account: refreshes with reasons and outcomes, upstream errcodes, recent errors', async () => {
      const before = await f.t.hub.manager.getAccessToken(APP_A);
      f.t.fake.invalidate(APP_A);
      const after = await f.t.hub.manager.refreshAccessToken(APP_A, before.value);
      f.t.hub.manager.emit('upstream', {
        appid: APP_A,
        path: '/cgi-bin/ticket/getticket',
        errcode: 45009,
        durationMs: 3,
      });
      const page = await f.web.inject({
        url: `/admin/accounts/${APP_A}`,
        headers: { ...HTML, cookie: await session() },
      });
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(
        /<td class="mono">access_token<\/td><td>调用方报告失效 <span class="en" lang="en">\/ reported dead<\/span> <span class="muted mono">stale<\/span>/,
      );
      expect(page.body).toMatch(
        /<td class="mono">\/cgi-bin\/token<\/td><td><span class="badge ok">0 ok<\/span><\/td><td class="num">\d+<\/td>/,
      );
      expect(page.body).toContain('/cgi-bin/ticket/getticket answered errcode 45009');
      for (const secret of [before.value, after.value, SECRET_A]) expect(page.body).not.toContain(secret);
    });

    it('lists followers with avatars at 46 px, says when no profile was captured, and pages', async () => {
      const cookie = await session();
      const page = await f.web.inject({
        url: `/admin/accounts/${APP_A}?page=2`,
        headers: { ...HTML, cookie },
      });
      expect(followers.pages).toEqual([{ appid: APP_A, limit: 50, offset: 50 }]);
      expect(page.body).toContain('src="http://127.0.0.1:9100/mmopen/abc/46"');
      expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.body).not.toContain('<script>');
      const rows = page.body.split('<tr class="follower-row">').slice(1);
      expect(rows).toHaveLength(2);
      expect(rows[0]).not.toContain('no profile captured');
      expect(rows[1]).toContain('no profile captured');
      expect(rows[1]).toContain('never');
      expect(page.body).toContain('1 without a captured profile');
      expect(page.body).toContain('Since 2021 /cgi-bin/user/info no longer returns nickname or avatar');
      expect(page.body).toContain(`href="/admin/accounts/${APP_A}?page=1#followers"`);
      expect(page.body).toContain(`href="/admin/accounts/${APP_A}?page=3#followers"`);
      expect(page.body).toContain('2 / 3');
    });

    it('"sync now" needs the form token, calls the sync and reports its result', async () => {
      const cookie = await session();
      const page = await f.web.inject({ url: `/admin/accounts/${APP_A}`, headers: { ...HTML, cookie } });
      const csrf = csrfOf(page.body)!;
      expect(csrf).toBeTruthy();
      const url = `/admin/accounts/${APP_A}/followers/sync`;
      for (const payload of [{}, { _csrf: 'forged' }]) {
        const refused = await f.web.inject({ method: 'POST', url, headers: { ...HTML, cookie }, payload });
        expect(refused.statusCode).toBe(403);
      }
      // A token from another session does not work either.
      const otherCsrf = csrfOf(
        (await f.web.inject({ url: '/admin', headers: { ...HTML, cookie: await session() } })).body,
      );
      expect(otherCsrf).not.toBe(csrf);
      expect(
        (await f.web.inject({ method: 'POST', url, headers: { cookie }, payload: { _csrf: otherCsrf } }))
          .statusCode,
      ).toBe(403);
      expect(followers.syncs).toEqual([]);

      const done = await f.web.inject({
        method: 'POST',
        url,
        headers: { ...HTML, cookie },
        payload: { _csrf: csrf },
      });
      expect(followers.syncs).toEqual([APP_A]);
      expect(done.statusCode).toBe(303);
      expect(done.headers.location).toBe(
        `/admin/accounts/${APP_A}?sync=ok&total=3&synced=3&removed=1#followers`,
      );
      const shown = await f.web.inject({
        url: done.headers.location!.replace(/#.*/, ''),
        headers: { ...HTML, cookie },
      });
      expect(shown.body).toContain('3 followers, 3 updated, 1 removed');

      followers.syncAnswer = Object.assign(new Error('boom'), { code: 'WXHUB_ERR_TRANSPORT' });
      const failed = await f.web.inject({
        method: 'POST',
        url,
        headers: { cookie },
        payload: { _csrf: csrf },
      });
      expect(failed.headers.location).toBe(
        `/admin/accounts/${APP_A}?sync=failed&reason=WXHUB_ERR_TRANSPORT#followers`,
      );
      const failedPage = await f.web.inject({
        url: `/admin/accounts/${APP_A}?sync=failed&reason=%3Cb%3E`,
        headers: { cookie },
      });
      expect(failedPage.body).toContain('Sync failed');
      expect(failedPage.body).toContain('&lt;b&gt;');
    });

    it('answers 404 for an account the hub does not serve', async () => {
      const cookie = await session();
      expect((await f.web.inject({ url: '/admin/accounts/wxnotours', headers: { cookie } })).statusCode).toBe(
        404,
      );
      const csrf = csrfOf((await f.web.inject({ url: '/admin', headers: { cookie } })).body);
      const post = await f.web.inject({
        method: 'POST',
        url: '/admin/accounts/wxnotours/followers/sync',
        headers: { cookie },
        payload: { _csrf: csrf },
      });
      expect(post.statusCode).toBe(404);
      expect(followers.syncs).toEqual([]);
    });
  });
});
