import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FollowerSyncStatus } from '../../src/followers/index.js';
import { ADMIN_COOKIE } from '../../src/web/admin/admin-session.js';
import type {
  FollowerRow,
  FollowerSyncControl,
  FollowersSource,
} from '../../src/web/admin/followers-source.js';
import { ValueSigner } from '../../src/web/http/signed-value.js';
import { APP_A, APP_B, APP_C, SECRET_A } from '../hub/support/hub-fixture.js';
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
  async list(appid: string, page: { limit: number; offset: number }) {
    this.pages.push({ appid, ...page });
    return { total: this.total, rows: page.offset < this.total ? this.rows : [] };
  }
}

const T = Date.UTC(2026, 0, 1, 4, 0, 0); // 12:00 in Beijing

class StubSync implements FollowerSyncControl {
  begins: [string, number][] = [];
  answer: Omit<FollowerSyncStatus, 'appid'> = {
    running: null,
    last: null,
    lastSyncedAt: null,
    intervalSeconds: 86_400,
    userGetToday: 0,
    userGetDailyLimit: 500,
  };
  async begin(appid: string, waitMs = 0) {
    this.begins.push([appid, waitMs]);
    return this.status(appid);
  }
  async status(appid: string) {
    return { appid, ...this.answer };
  }
}

describe('operator dashboard routes', () => {
  let f: WebFixture;
  let followers: StubFollowers;
  let sync: StubSync;
  let adminKey: string;
  let tokenKey: string;

  beforeAll(async () => {
    followers = new StubFollowers();
    sync = new StubSync();
    f = await webFixture({ followers, sync });
    adminKey = (await f.t.hub.services.keys.create({ name: 'ops <team>', appids: [], scopes: ['admin'] }))
      .key;
    tokenKey = await f.t.key(['token', 'oauth'], [APP_A]);
  });
  afterAll(() => f.close());
  beforeEach(() => {
    followers.pages = [];
    sync.begins = [];
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
      expect(sync.begins).toEqual([]);
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

    it('the form says what key to use in each language, each sentence whole', async () => {
      const form = await f.web.inject({ url: '/admin/login', headers: HTML });
      const hint = /<p class="muted" id="key-hint">([\s\S]*?)<\/p>/.exec(form.body)![1]!;
      expect(hint).toContain(
        '具有 admin 权限的客户端密钥，会话 8 小时后失效。 <span class="en" lang="en">/ A client key with the admin scope. Sessions last 8 hours.</span>',
      );
      expect(hint).toContain('wxhub keys create --name ops --scope admin');
      expect(hint).not.toMatch(/\/ \./);
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
        /<td data-label="凭证 \/ Credential" class="mono">access_token<\/td><td data-label="原因 \/ Reason">调用方报告失效 <span class="en" lang="en">\/ reported dead<\/span> <span class="tag mono">stale<\/span>/,
      );
      expect(page.body).toMatch(
        /<td data-label="接口 \/ Path" class="mono path">\/cgi-bin\/token<\/td><td data-label="errcode"><span class="badge ok">0 ok<\/span><\/td><td data-label="次数 \/ Count" class="num">\d+<\/td>/,
      );
      expect(page.body).toContain('/cgi-bin/ticket/getticket answered errcode 45009');
      for (const secret of [before.value, after.value, SECRET_A]) expect(page.body).not.toContain(secret);
    });

    it('says a first fetch in words of its own, the reason code apart ("none stored missing" no more)', async () => {
      await f.t.hub.manager.getAccessToken(APP_B);
      const page = await f.web.inject({
        url: `/admin/accounts/${APP_B}`,
        headers: { ...HTML, cookie: await session() },
      });
      expect(page.body).toContain(
        '首次获取 <span class="en" lang="en">/ first fetch</span> <span class="tag mono">missing</span>',
      );
      expect(page.body).not.toContain('none stored');
    });

    it('shows the stable_token quota against its daily limit', async () => {
      const page = await f.web.inject({ url: '/admin', headers: { ...HTML, cookie: await session() } });
      const card = page.body.slice(page.body.indexOf(`data-appid="${APP_C}"`));
      expect(stat(card, 'quota')).toBe('0 / 500000');
      expect(card).toContain('force 0 / 20');
    });

    it('a token error that the retry right after fixed is not counted as an error', async () => {
      const report = (errcode: number) =>
        f.t.hub.manager.emit('upstream', { appid: APP_B, path: '/cgi-bin/user/get', errcode, durationMs: 2 });
      const cookie = await session();
      const errorsStat = async () => {
        const { body } = await f.web.inject({ url: '/admin', headers: { ...HTML, cookie } });
        return stat(body.slice(body.indexOf(`data-appid="${APP_B}"`)), 'errors');
      };
      const before = Number(await errorsStat());
      report(40001);
      expect(Number(await errorsStat())).toBe(before + 1);
      report(0);
      expect(Number(await errorsStat())).toBe(before);
      const page = await f.web.inject({
        url: `/admin/accounts/${APP_B}`,
        headers: { ...HTML, cookie: await session() },
      });
      expect(page.body).toContain('<span class="badge warn">40001</span>');
      expect(page.body).toContain('fixed by the retry');
      expect(page.body).not.toContain('/cgi-bin/user/get answered errcode 40001');
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
      // Each openid in a cell of its own that never wraps, labelled for the phone layout.
      expect(rows[1]).toContain(
        '<td data-label="OpenID" class="mono openid">oNoProfile000000000000000002</td>',
      );
      expect(page.body).toContain('1 without a captured profile');
      expect(page.body).toContain('120 in all, 51–52 shown');
      expect(page.body).toContain('Since 2021 /cgi-bin/user/info no longer returns nickname or avatar');
      expect(page.body).toContain(`href="/admin/accounts/${APP_A}?page=1#followers"`);
      expect(page.body).toContain(`href="/admin/accounts/${APP_A}?page=3#followers"`);
      expect(page.body).toContain('2 / 3');
    });

    it('a page past the end goes to the last page (never "51–50 shown")', async () => {
      const cookie = await session();
      const past = await f.web.inject({
        url: `/admin/accounts/${APP_A}?page=4`,
        headers: { ...HTML, cookie },
      });
      expect(past.statusCode).toBe(303);
      expect(past.headers.location).toBe(`/admin/accounts/${APP_A}?page=3#followers`);
      const saved = followers.total;
      followers.total = 19;
      try {
        const second = await f.web.inject({
          url: `/admin/accounts/${APP_A}?page=2`,
          headers: { ...HTML, cookie },
        });
        expect(second.headers.location).toBe(`/admin/accounts/${APP_A}?page=1#followers`);
        const first = await f.web.inject({ url: `/admin/accounts/${APP_A}`, headers: { ...HTML, cookie } });
        expect(first.body).toContain('19 in all, 1–2 shown');
        expect(first.body).not.toContain('class="pager"');
      } finally {
        followers.total = saved;
      }
    });

    it('"sync now" needs the form token, starts the sync and shows its result under the button', async () => {
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
      expect(sync.begins).toEqual([]);

      const done = await f.web.inject({
        method: 'POST',
        url,
        headers: { ...HTML, cookie },
        payload: { _csrf: csrf },
      });
      expect(sync.begins).toEqual([[APP_A, 5000]]);
      expect(done.statusCode).toBe(303);
      expect(done.headers.location).toBe(`/admin/accounts/${APP_A}#followers`);

      const shown = async () =>
        (await f.web.inject({ url: `/admin/accounts/${APP_A}`, headers: { ...HTML, cookie } })).body;
      const block = (body: string) => {
        const start = body.indexOf('<div id="sync-status">');
        // The result sits between the button and the list, inside the followers card.
        expect(start).toBeGreaterThan(body.indexOf('id="sync-followers"'));
        expect(start).toBeLessThan(body.indexOf('id="profile-note"'));
        return body.slice(start, body.indexOf('</div>', start));
      };
      const times = { trigger: 'manual', startedAt: T, finishedAt: T + 2000 } as const;
      sync.answer = {
        ...sync.answer,
        last: { ok: true, ...times, total: 3, synced: 3, removed: 1 },
        lastSyncedAt: T + 2000,
        userGetToday: 7,
      };
      let status = block(await shown());
      expect(status).toContain('3 followers, 3 updated, 1 removed');
      expect(status).toContain('2026-01-01 12:00:02');
      expect(status).toContain('/cgi-bin/user/get 今日 <span class="en" lang="en">/ today</span> 7 / 500');
      expect(status).toContain('synced every 24 h');

      sync.answer = {
        ...sync.answer,
        last: { ok: false, ...times, errcode: 45009, message: 'reach max api daily quota limit <b>' },
      };
      status = block(await shown());
      expect(status).toContain('Sync failed');
      expect(status).toContain('<span class="badge bad" data-errcode="45009">errcode 45009</span>');
      expect(status).toContain('reach max api daily quota limit &lt;b&gt;');

      sync.answer = { ...sync.answer, running: { trigger: 'schedule', startedAt: T }, intervalSeconds: 0 };
      status = block(await shown());
      expect(status).toContain('data-state="running"');
      expect(status).toContain('no scheduled sync');
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
      expect(sync.begins).toEqual([]);
    });
  });
});
