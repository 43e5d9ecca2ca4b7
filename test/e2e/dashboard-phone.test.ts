// The operator dashboard on a phone (WeChat developers check it there): headless chromium at
// 390 × 844 against `wxhub demo` started in process, measuring the layout rather than reading HTML.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS } from '../../src/sim/index.js';
import type { RunningDemo } from '../../src/web/index.js';
import {
  type DemoInBrowser,
  demoInBrowser,
  PHONE,
  RUN_BROWSER_TESTS,
  SHOTS,
  warnIfSkipped,
} from './support/browser.js';

warnIfSkipped('test/e2e/dashboard-phone.test.ts');

const SHOP = DEMO_ACCOUNTS[0]!;
const PANDA = '🐼 熊猫 Panda';

/** Elements whose box leaves the viewport sideways, and the page's scroll width. */
const OVERFLOW = `(() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) {
      out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + (e.getAttribute('class') || ''));
    }
  }
  return { width, scrollWidth: document.documentElement.scrollWidth, out: out.slice(0, 10) };
})()`;

/** How many lines each openid cell's text takes. */
const OPENID_LINES = `[...document.querySelectorAll('td.openid')].map((td) => {
  const range = document.createRange();
  range.selectNodeContents(td);
  return { openid: td.textContent, lines: new Set([...range.getClientRects()].map((b) => Math.round(b.top))).size };
})`;

/**
 * Draws `text` in the font of the first element matching `selector` and in that font a character
 * no font has (U+10FFFD): a missing glyph is drawn as the same box, so equal pixels mean a box.
 */
const GLYPH_IS_BOX = (selector: string, text: string) => `(() => {
  const style = getComputedStyle(document.querySelector(${JSON.stringify(selector)}));
  const draw = (s) => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 64;
    const ctx = canvas.getContext('2d');
    ctx.font = style.fontSize + ' ' + style.fontFamily;
    ctx.fillText(s, 4, 44);
    return [...ctx.getImageData(0, 0, 64, 64).data];
  };
  const glyph = draw(${JSON.stringify(text)});
  const box = draw(String.fromCodePoint(0x10fffd));
  return { inked: glyph.some((v, i) => i % 4 === 3 && v > 0), sameAsBox: glyph.every((v, i) => v === box[i]) };
})()`;

interface Overflow {
  width: number;
  scrollWidth: number;
  out: string[];
}

describe.skipIf(!RUN_BROWSER_TESTS)('the dashboard on a phone (390 × 844)', () => {
  let run: DemoInBrowser;
  let demo: RunningDemo;
  let page: Page;
  let allowBottom = Number.POSITIVE_INFINITY;

  const sim = (path: string, body: unknown) =>
    fetch(`${demo.simulatorUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const expectFitsTheScreen = async () => {
    const { width, scrollWidth, out } = (await page.evaluate(OVERFLOW)) as Overflow;
    expect(out, `elements past the edge of ${page.url()}`).toEqual([]);
    expect(scrollWidth).toBeLessThanOrEqual(width);
  };
  const inFirstScreen = async (selector: string) => {
    const box = (await page.locator(selector).boundingBox())!;
    return box.y >= 0 && box.y + box.height <= PHONE.height;
  };

  beforeAll(async () => {
    run = await demoInBrowser({ viewport: PHONE, mobile: true });
    ({ demo, page } = run);
  }, 90_000);
  afterAll(() => run?.close());

  it('a follower whose nickname has an emoji logs in on the phone (profile captured)', async () => {
    await page.goto(`${demo.url}/`);
    await page
      .locator(`[data-appid="${SHOP.appid}"]`)
      .getByRole('link', { name: /Log in with WeChat/ })
      .first()
      .click();
    await page.waitForURL((url) => url.href.startsWith(`${demo.simulatorUrl}/connect/oauth2/authorize`));
    const allow = (await page.getByRole('button', { name: /Allow/ }).boundingBox())!;
    allowBottom = allow.y + allow.height;
    await page.locator('label', { hasText: PANDA }).click();
    await page.getByRole('button', { name: /Allow/ }).click();
    await page.waitForURL(`${demo.url}/profile`);
    await expect(page.locator('#nickname').textContent()).resolves.toContain(PANDA);
  });

  // 30 simulated users above the buttons used to put Allow about 2.1 screens down: the actions
  // now stay at the bottom of the screen while the list scrolls.
  it("the simulator's consent page shows Allow within the first screen", () => {
    expect(allowBottom).toBeLessThanOrEqual(PHONE.height);
  });

  it('the login form: each language says its sentence whole; nothing leaves the screen', async () => {
    await page.goto(`${demo.url}/admin/login`);
    const hint = (await page.locator('#key-hint').textContent()) ?? '';
    expect(hint).toContain('A client key with the admin scope. Sessions last 8 hours.');
    expect(hint).not.toMatch(/\/ \./);
    await expectFitsTheScreen();
    await page.locator('#key').fill(demo.adminKey);
    await page.locator('#admin-login').click();
    await page.waitForURL(`${demo.url}/admin`);
  });

  it('the overview: the chart shows its bars across the screen; quotas show their limit', async () => {
    await expectFitsTheScreen();
    const card = page.locator(`[data-appid="${SHOP.appid}"]`);
    const bars = await card
      .locator('.chart svg rect.bar')
      .evaluateAll((rects) =>
        rects.map((r) => (r as unknown as { getBoundingClientRect(): DOMRectLike }).getBoundingClientRect()),
      );
    expect(bars.length).toBeGreaterThan(0);
    const plot = (await card.locator('.chart-plot').boundingBox())!;
    expect(plot.x + plot.width).toBeLessThanOrEqual(PHONE.width);
    for (const bar of bars) {
      expect(bar.width).toBeGreaterThanOrEqual(2);
      expect(bar.height).toBeGreaterThanOrEqual(2);
      expect(bar.left).toBeGreaterThanOrEqual(plot.x);
      expect(bar.right).toBeLessThanOrEqual(plot.x + plot.width + 0.5);
    }
    expect(await card.locator('[data-stat="quota"] .value').textContent()).toMatch(/^\d+ \/ 500000$/);
    await card.screenshot({ path: join(SHOTS, 'dashboard-phone.png') });
  });

  it('the account page: tables as cards within the screen, each openid on one line, emoji drawn', async () => {
    await page.goto(`${demo.url}/admin/accounts/${SHOP.appid}`);
    await expectFitsTheScreen();
    const openids = (await page.evaluate(OPENID_LINES)) as { openid: string; lines: number }[];
    expect(openids.length).toBe(19);
    for (const { openid, lines } of openids) expect(lines, openid).toBe(1);
    const row = page.locator('#followers-table tr.follower-row', { hasText: PANDA });
    expect(await row.count()).toBe(1);
    expect(await page.evaluate(GLYPH_IS_BOX('#followers-table .nickname', '🐼'))).toEqual({
      inked: true,
      sameAsBox: false,
    });
  });

  it('"sync now" lands where its result is drawn, with WeChat’s errcode when it fails', async () => {
    await sim('/__sim/faults', {
      path: '/cgi-bin/user/get',
      appid: SHOP.appid,
      rate: 1,
      errcode: 45009,
      count: 1,
    });
    await page.goto(`${demo.url}/admin/accounts/${SHOP.appid}`);
    await page.locator('#sync-followers').click();
    await page.waitForURL(`${demo.url}/admin/accounts/${SHOP.appid}#followers`);
    await expect(page.locator('#sync-result').textContent()).resolves.toContain('errcode 45009');
    expect(await inFirstScreen('#sync-result')).toBe(true);
    expect(await inFirstScreen('#sync-followers')).toBe(true);

    // WeChat forgets the token: the sync's user/get gets 40001, the token is refreshed, the call
    // retried, and all is well: not an error.
    await sim(`/__sim/accounts/${SHOP.appid}/invalidate-tokens`, { immediate: true, kind: 'all' });
    await page.locator('#sync-followers').click();
    await page.waitForURL(`${demo.url}/admin/accounts/${SHOP.appid}#followers`);
    await expect(page.locator('#sync-result').textContent()).resolves.toContain('19 followers');
    expect(await inFirstScreen('#sync-result')).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'dashboard-sync-phone.png') });

    await page.reload();
    const healed = page.locator('#upstream-tally tr', { hasText: '40001' });
    await expect(healed.textContent()).resolves.toContain('fixed by the retry');
    await expect(page.locator('#errors').textContent()).resolves.not.toContain('errcode 40001');
    await expect(page.locator('#errors').textContent()).resolves.toContain('errcode 45009');
  });

  it('a page past the end of the list shows the last page, never "51–50"', async () => {
    await page.goto(`${demo.url}/admin/accounts/${SHOP.appid}?page=2`);
    expect(new URL(page.url()).searchParams.get('page')).toBe('1');
    await expect(page.locator('#followers-range').textContent()).resolves.toContain('1–19 shown');
  });
});

/** The fields of a DOMRect the checks read (tsconfig has no DOM lib). */
interface DOMRectLike {
  left: number;
  right: number;
  width: number;
  height: number;
}
