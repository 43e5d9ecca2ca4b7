// The demo site on the real login flow: startDemo (simulator, hub with the login routes, pages)
// driven over HTTP the way a browser would, redirect by redirect.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS } from '../../src/sim/index.js';
import { type RunningDemo, startDemo } from '../../src/web/index.js';

const SHOP = DEMO_ACCOUNTS[0]!.appid;
const NEWS = DEMO_ACCOUNTS[1]!.appid;
const silent = pino({ level: 'silent' });

interface SimUser {
  openid: string;
  unionid?: string;
  nickname: string;
  subscribe: number;
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const cookies = [res.headers['set-cookie'] ?? []].flat() as string[];
  return {
    status: res.statusCode,
    location: res.headers.location as string | undefined,
    cookie: cookies.map((c) => c.split(';')[0]!).join('; '),
    body: await res.body.text(),
  };
}

/** login → authorize (as `who`) → callback → /profile?wxhub_ticket; resolves the ticket URL. */
async function throughWeChat(
  demo: RunningDemo,
  appid: string,
  scope: 'snsapi_userinfo' | 'snsapi_base',
  who: Record<string, string>,
): Promise<string> {
  const returnTo = encodeURIComponent(`${demo.url}/profile`);
  const start = await get(`${demo.url}/oauth/${appid}/login?return_to=${returnTo}&scope=${scope}`);
  expect(start.status).toBe(302);
  expect(start.location!.startsWith(`${demo.simulatorUrl}/connect/oauth2/authorize?`)).toBe(true);
  const authorized = await get(start.location!.replace(/#wechat_redirect$/, ''), who);
  expect(authorized.status).toBe(302);
  const callback = await get(authorized.location!, { cookie: start.cookie });
  expect(callback.status).toBe(302);
  return callback.location!;
}

describe('the demo site on the real login flow', () => {
  let demo: RunningDemo;
  let cwd: string;
  let users: SimUser[];

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'wxhub-web-'));
    demo = await startDemo({ port: 0, cwd, logger: silent });
    await demo.warmedUp;
    const res = await request(`${demo.simulatorUrl}/__sim/accounts/${SHOP}/users`);
    users = ((await res.body.json()) as { users: SimUser[] }).users;
  });
  afterAll(async () => {
    await demo?.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('logs in with snsapi_userinfo: the ticket is redeemed once over the hub API, the profile shows the identity', async () => {
    const person = users.find((u) => u.nickname === '王芳')!;
    const ticketUrl = await throughWeChat(demo, SHOP, 'snsapi_userinfo', { 'x-sim-user': person.openid });
    expect(ticketUrl).toMatch(new RegExp(`^${demo.url}/profile\\?wxhub_ticket=[\\w-]+$`));
    const landed = await get(ticketUrl);
    expect(landed.status).toBe(303);
    expect(landed.location).toBe('/profile');
    const profile = await get(`${demo.url}/profile`, { cookie: landed.cookie });
    expect(profile.status).toBe(200);
    expect(profile.body).toContain(`<dd class="mono" id="openid">${person.openid}</dd>`);
    expect(profile.body).toContain(`<dd class="mono" id="unionid">${person.unionid}</dd>`);
    expect(profile.body).toContain('<h2 id="nickname">王芳</h2>');
    expect(profile.body).toMatch(/id="avatar" src="http:\/\/127\.0\.0\.1:\d+\/mmopen\/[\w-]+\/132"/);
    expect(profile.body).toMatch(/<dd id="follows">是/);
    expect(profile.body).toContain('a new user was created');

    // Tickets are single use: the same URL again is refused by the hub, and the page says so.
    const replay = await get(ticketUrl);
    expect(replay.status).toBe(401);
    expect(replay.body).toContain('data-code="WXHUB_ERR_OAUTH_TICKET"');
  });

  it('the captured profile shows in the dashboard follower list; followers without one say so', async () => {
    const admin = await request(`${demo.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: demo.adminKey }).toString(),
    });
    expect(admin.statusCode).toBe(303);
    const cookie = ([admin.headers['set-cookie']].flat()[0] as string).split(';')[0]!;
    await admin.body.dump();
    const page = await get(`${demo.url}/admin/accounts/${SHOP}`, { cookie });
    const rows = page.body.split('<tr class="follower-row">').slice(1);
    expect(rows).toHaveLength(users.filter((u) => u.subscribe === 1).length);
    const wang = rows.find((r) => r.includes(users.find((u) => u.nickname === '王芳')!.openid))!;
    expect(wang).toContain('<span class="nickname">王芳</span>');
    expect(wang).toMatch(/src="http:\/\/127\.0\.0\.1:\d+\/mmopen\/[\w-]+\/46"/);
    expect(rows.filter((r) => r.includes('no profile captured'))).toHaveLength(rows.length - 1);
    // The login flow's own WeChat calls reach the dashboard, not only the token engine's.
    for (const path of ['/sns/oauth2/access_token', '/sns/userinfo', '/cgi-bin/user/info']) {
      expect(page.body, path).toContain(path);
    }
  });

  it('Deny comes back as wxhub_error=access_denied: a friendly page, no session', async () => {
    const url = await throughWeChat(demo, SHOP, 'snsapi_userinfo', { 'x-sim-action': 'deny' });
    expect(url).toBe(`${demo.url}/profile?wxhub_error=access_denied`);
    const page = await get(url);
    expect(page.status).toBe(401);
    expect(page.body).toContain('id="login-again"');
    expect(page.cookie).toBe('');
  });

  it('a snapshot-page user is bound to no user and the profile explains it', async () => {
    const landed = await get(await throughWeChat(demo, SHOP, 'snsapi_userinfo', { 'x-sim-snapshot': '1' }));
    const profile = await get(`${demo.url}/profile`, { cookie: landed.cookie });
    expect(profile.body).toContain('id="snapshot-note"');
    expect(profile.body).toMatch(/id="user-id"><span class="muted">/);
  });

  it('a silent snsapi_base login on the second account: same unionid, same user, not new, no profile', async () => {
    const person = users.find((u) => u.nickname === '李娜')!;
    const first = await get(
      await throughWeChat(demo, SHOP, 'snsapi_userinfo', { 'x-sim-user': person.openid }),
    );
    const shop = await get(`${demo.url}/profile`, { cookie: first.cookie });
    const userId = /id="user-id">([\w-]+)</.exec(shop.body)![1];
    const newsUsers = (
      (await (await request(`${demo.simulatorUrl}/__sim/accounts/${NEWS}/users`)).body.json()) as {
        users: SimUser[];
      }
    ).users;
    const inNews = newsUsers.find((u) => u.nickname === '李娜')!;
    const second = await get(await throughWeChat(demo, NEWS, 'snsapi_base', { 'x-sim-user': inNews.openid }));
    const news = await get(`${demo.url}/profile`, { cookie: second.cookie });
    expect(news.body).toContain(`id="openid">${inNews.openid}<`);
    expect(news.body).toContain(`id="user-id">${userId}<`);
    expect(news.body).toMatch(/id="is-new">否/);
  });
});
