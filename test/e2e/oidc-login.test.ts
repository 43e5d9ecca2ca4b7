// End to end in a real browser: the OpenID Connect demo site of `wxhub demo` (an openid-client
// relying party) logging in through the hub's provider, in WeChat's browser (the simulator's
// consent page) and on a computer (the follow-to-log-in QR code, whose page learns of the scan
// by its script). See ./support/browser.ts for when it runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS } from '../../src/sim/index.js';
import type { RunningDemo } from '../../src/web/index.js';
import {
  type DemoInBrowser,
  demoInBrowser,
  type Img,
  launch,
  PHONE,
  RUN_BROWSER_TESTS,
  SHOTS,
  simUsers,
  text,
  warnIfSkipped,
} from './support/browser.js';

const SHOP = DEMO_ACCOUNTS[0]!;
const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN';

warnIfSkipped('test/e2e/oidc-login.test.ts');

describe.skipIf(!RUN_BROWSER_TESTS)(
  'log in with OpenID Connect in a browser (the demo’s second site)',
  () => {
    let run: DemoInBrowser;
    let demo: RunningDemo;
    let page: Page;
    let desktop: BrowserContext | undefined;
    const desktopProfile = mkdtempSync(join(tmpdir(), 'wxhub-chromium-desktop-'));

    beforeAll(async () => {
      run = await demoInBrowser({ viewport: PHONE, mobile: true, userAgent: WECHAT_UA });
      ({ demo, page } = run);
    }, 90_000);
    afterAll(async () => {
      await desktop?.close();
      await run?.close();
      rmSync(desktopProfile, { recursive: true, force: true });
    });

    it('Deny on the consent page: back on the site with access_denied', async () => {
      await page.goto(`${demo.url}/oidc-demo`);
      await page.locator('#oidc-login').click();
      await page.waitForURL((url) => url.href.startsWith(`${demo.simulatorUrl}/connect/oauth2/authorize`));
      await page.getByRole('button', { name: /Deny/ }).click();
      await page.waitForURL((url) => url.pathname === '/oidc-demo/callback');
      expect(await text(page, '#oidc-error')).toContain('access_denied');
    }, 90_000);

    it('in WeChat: home → OIDC site → consent page → Allow → the claims of the ID token and userinfo', async () => {
      const zhang = (await simUsers(demo.simulatorUrl, SHOP.appid)).find((u) => u.nickname === '张伟')!;
      await page.goto(`${demo.url}/`);
      await page.getByRole('link', { name: /Open the OpenID Connect demo site/ }).click();
      await page.waitForURL(`${demo.url}/oidc-demo`);
      await page.locator('#oidc-login').click();
      await page.waitForURL((url) => url.href.startsWith(`${demo.simulatorUrl}/connect/oauth2/authorize`));
      await expect(page.locator('h1').textContent()).resolves.toContain('微信授权');
      await page.locator('label', { hasText: '张伟' }).click();
      await page.getByRole('button', { name: /允许 \/ Allow/ }).click();
      await page.waitForURL(`${demo.url}/oidc-demo`);
      await page.screenshot({ path: join(SHOTS, 'oidc-claims.png'), fullPage: true });
      expect(await text(page, 'h1')).toContain('Logged in with OpenID Connect');
      expect(await text(page, '#claim-openid')).toBe(zhang.openid);
      expect(await text(page, '#claim-unionid')).toBe(zhang.unionid);
      expect(await text(page, '#claim-is_follower')).toBe('true');
      expect(await text(page, '#claim-nickname')).toBe('张伟');
      const sub = await text(page, '#claim-sub');
      expect(sub).toMatch(/^[A-Za-z0-9_-]{10,}$/);
      expect(sub).not.toBe(zhang.openid);
      await expect
        .poll(() =>
          page.locator('img#picture').evaluate((img) => (img as Img).complete && (img as Img).naturalWidth),
        )
        .toBeGreaterThan(0);
      await page.getByRole('button', { name: /Log out/ }).click();
      await page.waitForURL(`${demo.url}/oidc-demo`);
      await expect(page.locator('#oidc-login').count()).resolves.toBe(1);
    }, 90_000);

    it('on a computer: the QR code page; the scan is pushed and the page goes on by itself', async () => {
      const wang = (await simUsers(demo.simulatorUrl, SHOP.appid)).find((u) => u.nickname === '王芳')!;
      desktop = await launch(desktopProfile, { viewport: { width: 1180, height: 860 } });
      const tab = desktop.pages()[0] ?? (await desktop.newPage());
      tab.setDefaultTimeout(10_000);
      const blocked: string[] = [];
      tab.on('console', (message) => {
        if (/Content Security Policy|Refused/i.test(message.text())) blocked.push(message.text());
      });
      let polls = 0;
      tab.on('request', (request) => {
        if (request.url().endsWith('/status')) polls++;
      });
      await tab.goto(`${demo.url}/oidc-demo`);
      await tab.locator('#oidc-login').click();
      await tab.waitForURL((url) => url.pathname.startsWith('/login/follow/'));
      expect(new URL(tab.url()).search).toBe('');
      expect(await text(tab, 'h1')).toContain('Scan with WeChat to log in');
      const qr = tab.locator('#follow-qr img');
      await expect
        .poll(() => qr.evaluate((img) => (img as Img).complete && (img as Img).naturalWidth))
        .toBeGreaterThan(0);
      await tab.screenshot({ path: join(SHOTS, 'follow-login.png'), fullPage: true });
      const ticket = (await tab.locator('#follow-qr').getAttribute('data-ticket'))!;
      const scanned = await fetch(`${demo.simulatorUrl}/__sim/qrcodes/${encodeURIComponent(ticket)}/scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ openid: wang.openid }),
      });
      expect(scanned.status).toBe(200);
      // No click: the page's poller sees the scan and reloads, which redirects onward.
      await tab.waitForURL(`${demo.url}/oidc-demo`, { timeout: 15_000 });
      expect(await text(tab, '#claim-openid')).toBe(wang.openid);
      expect(await text(tab, '#claim-is_follower')).toBe('true');
      expect(blocked).toEqual([]);
      expect(polls).toBeGreaterThan(0);
    }, 90_000);
  },
);
