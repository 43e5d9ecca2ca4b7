import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHub, startGatewayHub, until } from '../../gateway/hub/gateway-hub.js';
import { startTestSim, type TestSim } from '../../support/sim.js';

/**
 * Follow to log in over the real push path: a hub listening on a random port is the account's
 * server URL in the simulator (safe mode: signed and encrypted pushes); a simulated person scans
 * the QR code (`POST /__sim/qrcodes/:ticket/scan`), the simulator pushes subscribe or SCAN to
 * `/callback/:appid`, and the gateway's listener completes the login the browser's page waits on.
 */
describe('follow to log in through a pushed scan', () => {
  let sim: TestSim;
  let gw: GatewayHub;

  beforeAll(async () => {
    sim = await startTestSim();
    gw = await startGatewayHub({
      sim,
      mode: 'safe',
      config: () => ({ wechat: { apiBase: sim.url, openBase: sim.url, mpBase: sim.url, timeoutMs: 2000 } }),
    });
  });
  afterAll(async () => {
    await gw?.close();
    await sim?.close();
  });

  /** A browser: starts the login through the hub's FollowLogin, claims the page, keeps the cookie. */
  async function browserStarts(continueUrl: string) {
    const login = await gw.hub.services.followLogin.start(gw.appid, { continueUrl });
    const claim = await fetch(`${gw.hub.url}${login.pageUrl}`, { redirect: 'manual' });
    expect(claim.status).toBe(303);
    const cookie = claim.headers.get('set-cookie')!.split(';')[0]!;
    const page = `${gw.hub.url}/login/follow/${login.id}`;
    const open = (withCookie = true) =>
      fetch(page, { redirect: 'manual', headers: withCookie ? { cookie } : {} });
    const status = async () =>
      (await (await fetch(`${page}/status`, { headers: { cookie } })).json()) as { status: string };
    return { ...login, open, status };
  }

  const scan = (ticket: string, openid: string) =>
    sim.control<{ attempts: number; delivered: boolean }>(
      'POST',
      `/__sim/qrcodes/${encodeURIComponent(ticket)}/scan`,
      {
        openid,
      },
    );

  it('a follower scans: SCAN with the scene is pushed, and the page sends the browser on', async () => {
    const browser = await browserStarts('/oidc/interaction/follower/follow');
    const waiting = await browser.open();
    expect(waiting.status).toBe(200);
    const html = await waiting.text();
    expect(html).toContain(`data-ticket="${browser.ticket}"`);
    // The image the page shows is the simulator's QR code of that ticket.
    const src = /<img src="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    expect((await fetch(src)).headers.get('content-type')).toBe('image/png');

    const pushed = await scan(browser.ticket, gw.openid);
    expect(pushed.delivered).toBe(true);
    await until(async () => (await browser.status()).status === 'scanned', 5000, 'the SCAN push');
    expect((await browser.open(false)).status).toBe(403);
    const onward = await browser.open();
    expect(onward.status).toBe(302);
    expect(onward.headers.get('location')).toBe('/oidc/interaction/follower/follow');
    expect(await gw.hub.services.followLogin.result(browser.id)).toEqual({
      appid: gw.appid,
      openid: gw.openid,
      event: 'SCAN',
    });
  });

  it('a new follower scans: subscribe with qrscene_ is pushed, the login completes and the user now follows', async () => {
    const { openid } = await sim.user(gw.appid, { subscribe: 0 });
    const browser = await browserStarts('/after');
    expect((await scan(browser.ticket, openid)).delivered).toBe(true);
    await until(async () => (await browser.status()).status === 'scanned', 5000, 'the subscribe push');
    expect((await browser.open()).headers.get('location')).toBe('/after');
    expect(await gw.hub.services.followLogin.result(browser.id)).toEqual({
      appid: gw.appid,
      openid,
      event: 'subscribe',
    });
    // WeChat's own answer: the person follows the account now.
    expect((await gw.hub.services.login.client(gw.appid).users.get(openid)).subscribe).toBe(1);
  });

  it('a scan of another QR code of the account leaves the login waiting', async () => {
    const browser = await browserStarts('/after');
    const other = await gw.hub.services.login.client(gw.appid).call('POST', '/cgi-bin/qrcode/create', {
      body: {
        expire_seconds: 60,
        action_name: 'QR_STR_SCENE',
        action_info: { scene: { scene_str: 'promo' } },
      },
    });
    expect((await scan(String(other.ticket), gw.openid)).delivered).toBe(true);
    // The push was logged (so any listener ran) before the simulator got its answer.
    expect((await browser.status()).status).toBe('pending');
    expect((await browser.open()).status).toBe(200);
  });
});
