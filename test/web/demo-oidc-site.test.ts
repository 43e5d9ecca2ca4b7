// The OpenID Connect demo site inside `wxhub demo`: a relying party written with openid-client,
// logging in through the hub's provider, driven over HTTP the way a browser would, hop by hop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS } from '../../src/sim/index.js';
import { type RunningDemo, startDemo } from '../../src/web/index.js';
import { followTicketOf, untilScanned } from '../oidc/follow-login/support.js';
import { CookieJar, DESKTOP_UA, WECHAT_UA } from '../oidc/support/oidc-fixture.js';

const SHOP = DEMO_ACCOUNTS[0]!.appid;

interface SimUser {
  openid: string;
  unionid?: string;
  nickname: string;
  subscribe: number;
}

describe('the OpenID Connect demo site', () => {
  let demo: RunningDemo;
  let cwd: string;
  let users: SimUser[];

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'wxhub-oidc-demo-'));
    demo = await startDemo({ port: 0, cwd, logger: pino({ level: 'silent' }) });
    await demo.warmedUp;
    users = (
      (await (await fetch(`${demo.simulatorUrl}/__sim/accounts/${SHOP}/users`)).json()) as {
        users: SimUser[];
      }
    ).users;
  }, 60_000);
  afterAll(async () => {
    await demo?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  /** Follows redirects like a browser with one cookie jar for the demo's origin; WeChat answers as `openid`. */
  async function walk(start: string, userAgent: string, jar: CookieJar, openid?: string) {
    let url = start;
    const hops: string[] = [];
    for (let i = 0; i < 20; i++) {
      const target = new URL(url);
      hops.push(target.href);
      const toSim = target.origin === demo.simulatorUrl;
      const headers: Record<string, string> = { 'user-agent': userAgent };
      if (toSim && openid) headers['x-sim-user'] = openid;
      if (!toSim && jar.header()) headers.cookie = jar.header();
      const res = await fetch(target.href.replace(/#.*$/, ''), { headers, redirect: 'manual' });
      if (!toSim) jar.take(res);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { res, final: target, hops };
      url = new URL(location, target).href;
    }
    throw new Error(`too many hops: ${hops.join(' -> ')}`);
  }

  it('is linked from the demo home page', async () => {
    const home = await (await fetch(`${demo.url}/`)).text();
    expect(home).toContain('href="/oidc-demo"');
    const site = await fetch(`${demo.url}/oidc-demo`);
    expect(site.status).toBe(200);
    const html = await site.text();
    expect(html).toContain('Log in with WeChat');
    expect(html).toContain('href="/oidc-demo/login"');
  });

  it('in WeChat’s browser: web authorization, then the claims from the ID token and userinfo', async () => {
    const zhang = users.find((u) => u.nickname === '张伟')!;
    const jar = new CookieJar();
    const walked = await walk(`${demo.url}/oidc-demo/login`, WECHAT_UA, jar, zhang.openid);
    expect(
      walked.hops.some((h) => h.includes('/connect/oauth2/authorize?')),
      walked.hops.join('\n'),
    ).toBe(true);
    expect(walked.final.href).toBe(`${demo.url}/oidc-demo`);
    const page = await walked.res.text();
    expect(page).toContain('Logged in with OpenID Connect');
    expect(page).toContain(zhang.openid);
    expect(page).toContain(zhang.unionid!);
    expect(page).toContain('张伟');
    expect(page).toMatch(/id="claim-is_follower">true</);
    expect(page).toMatch(/id="claim-sub">[A-Za-z0-9_-]+</);
    expect(page).not.toContain(`id="claim-sub">${zhang.openid}<`);
  });

  it('a refused consent comes back as access_denied', async () => {
    const jar = new CookieJar();
    const start = await walk(`${demo.url}/oidc-demo/login`, WECHAT_UA, jar);
    // The simulator's consent page: refuse, as its Deny button does.
    const authorize = start.final.href.replace(/#.*$/, '');
    const denied = await fetch(authorize, {
      headers: { 'x-sim-user': users[0]!.openid, 'x-sim-action': 'deny' },
      redirect: 'manual',
    });
    const back = await walk(new URL(denied.headers.get('location')!, authorize).href, WECHAT_UA, jar);
    expect(back.res.status).toBe(401);
    expect(await back.res.text()).toContain('access_denied');
  });

  it('on a computer: the follow-to-log-in QR code; a scan pushed by the simulator logs the browser in', async () => {
    const wang = users.find((u) => u.nickname === '王芳')!;
    const jar = new CookieJar();
    const shown = await walk(`${demo.url}/oidc-demo/login`, DESKTOP_UA, jar);
    expect(shown.res.status, shown.hops.join('\n')).toBe(200);
    expect(shown.final.pathname).toMatch(/^\/login\/follow\//);
    const ticket = followTicketOf(await shown.res.text());
    const scanned = await fetch(`${demo.simulatorUrl}/__sim/qrcodes/${encodeURIComponent(ticket)}/scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid: wang.openid }),
    });
    expect(scanned.status).toBe(200);
    await untilScanned(shown.final.href, jar);
    const done = await walk(shown.final.href, DESKTOP_UA, jar);
    expect(done.final.href).toBe(`${demo.url}/oidc-demo`);
    const page = await done.res.text();
    expect(page).toContain(wang.openid);
    expect(page).toMatch(/id="claim-is_follower">true</);
  });
});
