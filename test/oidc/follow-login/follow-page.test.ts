import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../../../src/hub/index.js';
import { FOLLOW_COOKIE } from '../../../src/oidc/follow-login/index.js';
import { ManualClock } from '../../../src/util/clock.js';
import { startTestSim, type TestSim } from '../../support/sim.js';
import { scanPush } from './support.js';

/**
 * The follow-to-log-in pages on a hub whose WeChat is the simulator: the QR code is created by
 * the simulator through the hub's token engine and its image served by the simulator; the scan's
 * push is fed to `observe` as the gateway hands it to its listeners.
 */
describe('follow-to-log-in pages', () => {
  let sim: TestSim;
  let hub: Hub;
  let appid: string;
  let clock: ManualClock;

  beforeAll(async () => {
    sim = await startTestSim();
    const account = await sim.account({ name: 'Follow Shop' });
    appid = account.appid;
    clock = new ManualClock(sim.clock.now());
    hub = await createHub({
      config: {
        store: 'memory:',
        database: 'memory:',
        wechat: { apiBase: sim.url, openBase: sim.url, mpBase: sim.url, timeoutMs: 2000 },
        accounts: [
          {
            appid,
            secret: account.secret,
            name: 'Follow Shop',
            tokenMode: 'classic',
            callback: { token: 'PageTestToken', mode: 'plain' },
          },
        ],
      },
      clock,
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
      tokens: { retryStrategy: () => null },
    });
  });
  afterAll(async () => {
    await hub?.close();
    await sim?.close();
  });

  const get = (url: string, cookie?: string, accept?: string): Promise<LightMyRequestResponse> =>
    hub.app.inject({
      url,
      headers: { ...(cookie ? { cookie } : {}), ...(accept ? { accept } : {}) },
    });

  /** Starts a login and claims its page as a browser would: the cookie it gets back. */
  async function started(continueUrl = '/oidc/interaction/uid-1/follow') {
    const login = await hub.services.followLogin.start(appid, { continueUrl });
    const claim = await get(login.pageUrl);
    expect(claim.statusCode).toBe(303);
    expect(claim.headers.location).toBe(login.id);
    expect(new URL(String(claim.headers.location), `http://hub${login.pageUrl}`).pathname).toBe(
      `/login/follow/${login.id}`,
    );
    const setCookie = String(claim.headers['set-cookie']);
    expect(setCookie).toMatch(
      new RegExp(`^${FOLLOW_COOKIE}=[A-Za-z0-9_-]{43}; Path=/login/follow/${login.id}; `),
    );
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    const cookie = setCookie.split(';')[0]!;
    const page = `/login/follow/${login.id}`;
    return { ...login, cookie, page };
  }

  it('shows the QR code: an <img> of showqrcode, data-ticket, a meta refresh, bilingual, phone-sized', async () => {
    const login = await started();
    const res = await get(login.page, login.cookie);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['content-security-policy']).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    const body = res.body;
    const img = `${sim.url}/cgi-bin/showqrcode?ticket=${encodeURIComponent(login.ticket)}`;
    expect(body).toContain(`src="${img.replace(/&/g, '&amp;')}"`);
    expect(body).toContain(`data-ticket="${login.ticket}"`);
    expect(body).toMatch(/<meta http-equiv="refresh" content="2">/);
    expect(body).toContain('name="viewport"');
    expect(body).toContain('微信扫码登录');
    expect(body).toContain('Scan with WeChat to log in');
    expect(body).toContain('Follow Shop');
    // The image is the simulator's PNG of that ticket.
    const png = await fetch(img);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    // The polling script's status endpoint.
    const status = await get(`${login.page}/status`, login.cookie);
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({ status: 'pending', expires_at: new Date(login.expiresAt).toISOString() });
    expect(await sim.calls(appid, '/cgi-bin/qrcode/create')).toBeGreaterThanOrEqual(1);
  });

  it('sends the bound browser on once the SCAN arrived, and never a browser without the cookie', async () => {
    const login = await started('/oidc/interaction/uid-2/follow');
    const record = JSON.parse((await hub.services.store.getDocument(`follow:login:${login.id}`))!);
    const { openid } = await sim.user(appid, { subscribe: 1 });
    expect(
      await hub.services.followLogin.observe(
        scanPush({ appid, openid, event: 'SCAN', eventKey: record.scene }),
      ),
    ).toBe(true);
    const stranger = await get(login.page);
    expect(stranger.statusCode).toBe(403);
    expect(stranger.headers['x-wxhub-error']).toBe('WXHUB_ERR_FOLLOW_LOGIN_BROWSER');
    expect(stranger.body).toContain('请在发起登录的浏览器中打开');
    expect(stranger.body).not.toContain('/oidc/interaction/uid-2');
    const strangerStatus = await get(`${login.page}/status`);
    expect(strangerStatus.statusCode).toBe(403);
    expect(strangerStatus.json().error.code).toBe('WXHUB_ERR_FOLLOW_LOGIN_BROWSER');
    // A copy of the claim link opened in another browser claims nothing.
    const copied = await get(login.pageUrl);
    expect(copied.statusCode).toBe(303);
    expect(copied.headers['set-cookie']).toBeUndefined();
    expect((await get(`${login.page}/status`, login.cookie)).json().status).toBe('scanned');
    const onward = await get(login.page, login.cookie);
    expect(onward.statusCode).toBe(302);
    expect(onward.headers.location).toBe('/oidc/interaction/uid-2/follow');
    expect(await hub.services.followLogin.result(login.id)).toEqual({ appid, openid, event: 'SCAN' });
    const after = await get(login.page, login.cookie);
    expect(after.statusCode).toBe(410);
    expect(after.headers['x-wxhub-error']).toBe('WXHUB_ERR_FOLLOW_LOGIN_EXPIRED');
  });

  it('completes for a new follower through subscribe with qrscene_', async () => {
    const login = await started();
    const record = JSON.parse((await hub.services.store.getDocument(`follow:login:${login.id}`))!);
    const { openid } = await sim.user(appid, { subscribe: 0 });
    await hub.services.followLogin.observe(
      scanPush({ appid, openid, event: 'subscribe', eventKey: `qrscene_${record.scene}` }),
    );
    expect((await get(login.page, login.cookie)).statusCode).toBe(302);
    expect(await hub.services.followLogin.result(login.id)).toMatchObject({ openid, event: 'subscribe' });
  });

  it('says expired (410, bilingual, "log in again" to the continue URL) once the code ran out', async () => {
    const login = await started('/oidc/interaction/uid-3/follow');
    clock.advance(300_000);
    const res = await get(login.page, login.cookie);
    expect(res.statusCode).toBe(410);
    expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_FOLLOW_LOGIN_EXPIRED');
    expect(res.body).toContain('二维码已失效');
    expect(res.body).toContain('This QR code has expired');
    expect(res.body).toContain('href="/oidc/interaction/uid-3/follow"');
    expect((await get(`${login.page}/status`, login.cookie)).json().status).toBe('expired');
  });

  it('answers an unknown page 410 and a malformed claim 400, as pages', async () => {
    const unknown = await get(`/login/follow/${'A'.repeat(32)}`);
    expect(unknown.statusCode).toBe(410);
    expect(unknown.body).toContain('This QR code has expired');
    const junk = await get('/login/follow/%3Cscript%3E');
    expect(junk.statusCode).toBe(410);
    expect(junk.body).not.toContain('<script>');
    // A path that decodes to `//host` is never echoed into a Location (no open redirect).
    const claim = `?claim=${'A'.repeat(43)}`;
    for (const path of [
      '%2F%2Fevil.example.com',
      '%2F%5Cevil.example.com',
      'https%3A%2F%2Fevil.example.com',
    ]) {
      const res = await get(`/login/follow/${path}${claim}`);
      expect(res.statusCode, path).toBe(410);
      expect(res.headers.location, path).toBeUndefined();
    }
    const bad = await get(`/login/follow/${'A'.repeat(32)}?claim=nope`);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['x-wxhub-error']).toBe('WXHUB_ERR_INVALID_ARGUMENT');
    expect(bad.body).toContain('登录链接无效');
    const unknownStatus = await get(`/login/follow/${'A'.repeat(32)}/status`);
    expect(unknownStatus.statusCode).toBe(410);
    expect(unknownStatus.json().error.code).toBe('WXHUB_ERR_FOLLOW_LOGIN_EXPIRED');
  });
});
