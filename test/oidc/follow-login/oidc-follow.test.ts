import * as oidcClient from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CookieJar,
  DESKTOP_UA,
  type OidcFixture,
  oidcFixture,
  REDIRECT_URI,
} from '../support/oidc-fixture.js';
import { followTicketOf, untilScanned } from './support.js';

const CALLBACK = {
  token: 'FollowLoginToken',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  mode: 'safe' as const,
};

/**
 * The third login route of the OpenID Connect provider, end to end with a real relying party
 * (openid-client): a desktop browser without a website app gets the follow-to-log-in page, a
 * simulated person scans its QR code, the simulator pushes the event to the hub's callback URL,
 * and the browser's next visit of the page ends at the client's redirect URI with a code.
 */
describe('OpenID Connect: follow to log in through a pushed scan', () => {
  let f: OidcFixture;
  let issuer: string;
  let rp: oidcClient.Configuration;

  beforeAll(async () => {
    f = await oidcFixture();
    const hub = await f.startHub({
      config: {
        wechat: { apiBase: f.sim.url, openBase: f.sim.url, mpBase: f.sim.url, timeoutMs: 2000 },
        accounts: [
          { appid: f.shop.appid, secret: f.shop.secret, tokenMode: 'classic', callback: { ...CALLBACK } },
          { appid: f.site.appid, secret: f.site.secret, kind: 'website' },
          { appid: f.news.appid, secret: f.news.secret, tokenMode: 'classic' },
        ],
      },
    });
    issuer = hub.issuer;
    await f.sim.control('POST', `/__sim/accounts/${f.shop.appid}/server`, {
      url: `${hub.url}/callback/${f.shop.appid}`,
      ...CALLBACK,
    });
    rp = await f.discover(issuer, 'spa');
  });
  afterAll(async () => f?.close());

  async function followLogin(openid: string, scope = 'openid profile') {
    const request = await f.authorizationRequest(rp, scope);
    const jar = new CookieJar();
    const shown = await f.browse(request.url.href, { userAgent: DESKTOP_UA, jar });
    // The page with the QR code: a 200 HTML page, its ticket readable without script.
    expect(shown.page?.status, shown.hops.join('\n')).toBe(200);
    expect(shown.final.pathname).toMatch(/^\/login\/follow\/[A-Za-z0-9]{32}$/);
    const html = await shown.page!.text();
    const ticket = followTicketOf(html);
    expect(html).toContain(`${f.sim.url}/cgi-bin/showqrcode?ticket=`);
    // Before the scan, the page stays.
    const before = await f.browse(shown.final.href, { userAgent: DESKTOP_UA, jar });
    expect(before.page?.status).toBe(200);

    const pushed = await f.sim.control<{ delivered: boolean }>(
      'POST',
      `/__sim/qrcodes/${encodeURIComponent(ticket)}/scan`,
      { openid },
    );
    expect(pushed.delivered).toBe(true);
    await untilScanned(shown.final.href, jar, 'the scan event');
    const done = await f.browse(shown.final.href, { userAgent: DESKTOP_UA, jar });
    expect(done.final.href.startsWith(REDIRECT_URI), done.hops.join('\n')).toBe(true);
    const tokens = await oidcClient.authorizationCodeGrant(rp, done.final, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    return { tokens, shown, done };
  }

  it('a follower scans (SCAN): ID token and userinfo name them, is_follower true', async () => {
    const user = await f.sim.user(f.shop.appid, { nickname: 'Follower', subscribe: 1 });
    const { tokens } = await followLogin(user.openid);
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(issuer);
    expect(claims.aud).toBe('spa');
    expect(claims.openid).toBe(user.openid);
    expect(claims.unionid).toBe(user.unionid);
    expect(claims.is_follower).toBe(true);
    expect(claims.sub).not.toBe(user.openid);
    const info = await oidcClient.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, openid: user.openid, is_follower: true });
  });

  it('a non-follower scans (subscribe with qrscene_): logged in, and now a follower', async () => {
    const user = await f.sim.user(f.shop.appid, { subscribe: 0 });
    const { tokens } = await followLogin(user.openid, 'openid');
    const claims = tokens.claims()!;
    expect(claims.openid).toBe(user.openid);
    expect(claims.is_follower).toBe(true);
    // The same person logs in again: the same sub.
    const again = await followLogin(user.openid, 'openid');
    expect(again.tokens.claims()!.sub).toBe(claims.sub);
  });

  it('the page without the browser’s cookie never leads to the client', async () => {
    const user = await f.sim.user(f.shop.appid, { subscribe: 1 });
    const request = await f.authorizationRequest(rp, 'openid');
    const jar = new CookieJar();
    const shown = await f.browse(request.url.href, { userAgent: DESKTOP_UA, jar });
    const ticket = followTicketOf(await shown.page!.text());
    await f.sim.control('POST', `/__sim/qrcodes/${encodeURIComponent(ticket)}/scan`, { openid: user.openid });
    await untilScanned(shown.final.href, jar);
    const stranger = await f.browse(shown.final.href, { userAgent: DESKTOP_UA, jar: new CookieJar() });
    expect(stranger.page?.status).toBe(403);
    expect(stranger.hops.some((h) => h.startsWith(REDIRECT_URI))).toBe(false);
  });

  it('the continue URL without a scan (the expired page’s "log in again") routes the login again: a new QR code', async () => {
    const request = await f.authorizationRequest(rp, 'openid');
    const jar = new CookieJar();
    const shown = await f.browse(request.url.href, { userAgent: DESKTOP_UA, jar });
    const continueUrl = /href="([^"]*\/oidc\/interaction\/[^"]+\/follow)"/.exec(
      await (await fetch(shown.final.href, { headers: { cookie: jar.header() } })).text(),
    );
    // The waiting page offers no way on; the continue URL is the interaction's `/follow`.
    expect(continueUrl).toBeNull();
    const interaction = shown.hops.find((h) => /\/oidc\/interaction\/[^/]+$/.test(h))!;
    const again = await f.browse(`${interaction}/follow`, { userAgent: DESKTOP_UA, jar });
    expect(again.page?.status).toBe(200);
    expect(again.final.pathname).toMatch(/^\/login\/follow\/[A-Za-z0-9]{32}$/);
    expect(again.final.pathname).not.toBe(shown.final.pathname);
  });

  it('WeChat refusing qrcode/create (45009): a bilingual page, no redirect, nothing half-started', async () => {
    await f.sim.fault({ path: '/cgi-bin/qrcode/create', rate: 1, errcode: 45009, count: 1 });
    const request = await f.authorizationRequest(rp, 'openid');
    const walked = await f.browse(request.url.href, { userAgent: DESKTOP_UA });
    const status = walked.page?.status ?? 0;
    expect(status, walked.hops.join('\n')).toBeGreaterThanOrEqual(500);
    const html = await walked.page!.text();
    expect(html).toMatch(/[\u4e00-\u9fff]/);
    expect(html).not.toContain('access_token');
    expect(walked.hops.some((h) => h.startsWith(REDIRECT_URI))).toBe(false);
  });
});
