// End to end in a real browser: Debian's chromium driven by playwright-core, against `wxhub demo`
// started in process (see ./support/browser.ts for when it runs).
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS } from '../../src/sim/index.js';
import type { RunningDemo } from '../../src/web/index.js';
import {
  type DemoInBrowser,
  demoInBrowser,
  type Img,
  RUN_BROWSER_TESTS,
  SHOTS,
  simUsers,
  text,
  warnIfSkipped,
} from './support/browser.js';

const [SHOP, NEWS] = DEMO_ACCOUNTS;

warnIfSkipped('test/e2e/login.test.ts');

describe.skipIf(!RUN_BROWSER_TESTS)(
  'log in with WeChat in a browser (demo site, simulator, dashboard)',
  () => {
    let run: DemoInBrowser;
    let demo: RunningDemo;
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      run = await demoInBrowser({ viewport: { width: 1180, height: 860 } });
      ({ demo, context, page } = run);
    }, 90_000);
    afterAll(() => run?.close());

    let firstUserId = '';

    it('home → consent page → Allow → profile with avatar, nickname, openid, unionid, follows; then log out', async () => {
      const zhang = (await simUsers(demo.simulatorUrl, SHOP!.appid)).find((u) => u.nickname === '张伟')!;
      expect(zhang.subscribe).toBe(1);

      await page.goto(`${demo.url}/`);
      await expect(page.title()).resolves.toContain('Log in with WeChat');
      const shopCard = page.locator(`[data-appid="${SHOP!.appid}"]`);
      await expect(shopCard.getByRole('link', { name: /使用微信登录/ }).textContent()).resolves.toContain(
        'Log in with WeChat',
      );
      await page.screenshot({ path: join(SHOTS, 'home.png'), fullPage: true });

      await shopCard.getByRole('link', { name: /Log in with WeChat/ }).click();
      await page.waitForURL((url) => url.href.startsWith(`${demo.simulatorUrl}/connect/oauth2/authorize`));
      await expect(page.locator('h1').textContent()).resolves.toContain('微信授权');
      await page.setViewportSize({ width: 430, height: 900 });
      await page.locator('label', { hasText: '张伟' }).click();
      await page.screenshot({ path: join(SHOTS, 'consent.png'), fullPage: true });
      await page.getByRole('button', { name: /允许 \/ Allow/ }).click();

      await page.waitForURL(`${demo.url}/profile`);
      expect(page.url()).not.toContain('wxhub_ticket');
      await page.setViewportSize({ width: 760, height: 900 });
      expect(await text(page, '#nickname')).toBe('张伟');
      expect(await text(page, '#openid')).toBe(zhang.openid);
      expect(await text(page, '#unionid')).toBe(zhang.unionid);
      expect(await text(page, '#follows')).toContain('yes');
      expect(await text(page, '#is-new')).toContain('yes');
      const avatar = page.locator('img#avatar');
      expect(await avatar.getAttribute('src')).toMatch(/\/132$/);
      await expect
        .poll(() => avatar.evaluate((img) => (img as Img).complete && (img as Img).naturalWidth))
        .toBe(132);
      const sizes = await page
        .locator('#avatar-sizes img')
        .evaluateAll((imgs) => imgs.map((img) => (img as Img).naturalWidth));
      expect(sizes).toEqual([46, 64, 96, 132]);
      firstUserId = await text(page, '#user-id');
      expect(firstUserId).toMatch(/^[A-Za-z0-9_-]{10,}$/);
      await page.screenshot({ path: join(SHOTS, 'profile.png'), fullPage: true });

      const session = (await context.cookies(demo.url)).find((c) => c.name === 'wxhub_demo_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });

      await page.locator('#logout').click();
      await page.waitForURL(`${demo.url}/`);
      expect((await context.cookies(demo.url)).some((c) => c.name === 'wxhub_demo_session')).toBe(false);
      await page.goto(`${demo.url}/profile`);
      expect(page.url()).toBe(`${demo.url}/`);
    }, 90_000);

    it('the same person on the second account: another openid, the same unionid and user (not new)', async () => {
      const zhang = (await simUsers(demo.simulatorUrl, NEWS!.appid)).find((u) => u.nickname === '张伟')!;
      await page.goto(`${demo.url}/`);
      await page
        .locator(`[data-appid="${NEWS!.appid}"]`)
        .getByRole('link', { name: /Log in with WeChat/ })
        .click();
      await page.locator('label', { hasText: '张伟' }).click();
      await page.getByRole('button', { name: /Allow/ }).click();
      await page.waitForURL(`${demo.url}/profile`);
      expect(await text(page, '#openid')).toBe(zhang.openid);
      expect(await text(page, '#unionid')).toBe(zhang.unionid);
      expect(await text(page, '#user-id')).toBe(firstUserId);
      expect(await text(page, '#is-new')).toContain('no');
      await page.locator('#logout').click();
      await page.waitForURL(`${demo.url}/`);
    }, 90_000);

    it('Deny on the consent page lands on a friendly page with "log in again"', async () => {
      await page.goto(`${demo.url}/`);
      await page
        .locator(`[data-appid="${SHOP!.appid}"]`)
        .getByRole('link', { name: /Log in with WeChat/ })
        .click();
      await page.getByRole('button', { name: /Deny/ }).click();
      await page.waitForURL((url) => url.pathname === '/profile');
      await expect(page.locator('#login-error').getAttribute('data-code')).resolves.toBe('access_denied');
      await page.locator('#login-again').click();
      await page.waitForURL(`${demo.url}/`);
    }, 90_000);

    it('the dashboard: closed without the admin key, then token age, refreshes, errors and the follower list with the captured avatar', async () => {
      // Some token-engine traffic to show: a JS-SDK ticket whose first fetch fails once (errcode -1,
      // retried), and a caller reporting the access_token dead (a refresh for reason "stale").
      const sim = (path: string, body: unknown) =>
        fetch(`${demo.simulatorUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const hubApi = (path: string, body?: unknown) =>
        fetch(`${demo.url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: {
            authorization: `Bearer ${demo.adminKey}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      await sim('/__sim/faults', {
        path: '/cgi-bin/ticket/getticket',
        appid: SHOP!.appid,
        rate: 1,
        errcode: -1,
        count: 1,
      });
      expect((await hubApi(`/v1/accounts/${SHOP!.appid}/jsapi-ticket`)).status).toBe(200);
      const current = (await (await hubApi(`/v1/accounts/${SHOP!.appid}/access-token`)).json()) as {
        access_token: string;
      };
      expect(
        (
          await hubApi(`/v1/accounts/${SHOP!.appid}/access-token/refresh`, {
            stale_token: current.access_token,
          })
        ).status,
      ).toBe(200);

      await page.setViewportSize({ width: 1180, height: 860 });
      await page.goto(`${demo.url}/admin`);
      expect(new URL(page.url()).pathname).toBe('/admin/login');
      await page.locator('#key').fill('wxk_0000000000000000_not-a-real-key-at-all-00000000000000000000');
      await page.locator('#admin-login').click();
      await expect(page.locator('#login-problem').textContent()).resolves.toContain('not valid');

      await page.locator('#key').fill(demo.adminKey);
      await page.locator('#admin-login').click();
      await page.waitForURL(`${demo.url}/admin`);
      const card = page.locator(`[data-appid="${SHOP!.appid}"]`);
      expect(await text(page, `[data-appid="${SHOP!.appid}"] [data-stat="token-age"] .value`)).toMatch(
        /^\d+ (s|min)/,
      );
      expect(await card.locator('.chart svg rect.bar').count()).toBeGreaterThan(0);
      expect(await page.content()).not.toContain(demo.adminKey);
      await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });

      await card.getByRole('link', { name: /Details/ }).click();
      await page.waitForURL(`${demo.url}/admin/accounts/${SHOP!.appid}`);
      const refreshTally = await text(page, '#refresh-tally');
      expect(refreshTally).toContain('jsapi');
      expect(refreshTally).toContain('stale');
      expect(await text(page, '#upstream-tally')).toContain('/cgi-bin/ticket/getticket');
      expect(await text(page, '#errors')).toContain('/cgi-bin/ticket/getticket answered errcode -1');
      expect(await page.content()).not.toContain(current.access_token);
      const rows = page.locator('#followers-table tr.follower-row');
      expect(await rows.count()).toBe(19);
      const zhangRow = rows.filter({ hasText: '张伟' });
      expect(await zhangRow.count()).toBe(1);
      await expect.poll(() => zhangRow.locator('img').evaluate((img) => (img as Img).naturalWidth)).toBe(46);
      expect(await rows.filter({ hasText: 'no profile captured' }).count()).toBe(18);
      await expect(page.locator('#profile-note').textContent()).resolves.toContain('snsapi_userinfo');
      await page.screenshot({ path: join(SHOTS, 'dashboard-account.png'), fullPage: true });

      await page.locator('#sync-followers').click();
      await expect(page.locator('#sync-result').textContent()).resolves.toContain('19 followers');

      await page.locator('#admin-logout').click();
      await page.waitForURL((url) => url.pathname === '/admin/login');
      await page.goto(`${demo.url}/admin`);
      expect(new URL(page.url()).pathname).toBe('/admin/login');
    }, 90_000);
  },
);
