import * as oidcClient from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WxhubError } from '../../src/errors/index.js';
import type { Hub } from '../../src/hub/index.js';
import type { FollowLoginPort } from '../../src/oidc/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { DESKTOP_UA, type OidcFixture, oidcFixture, REDIRECT_URI } from './support/oidc-fixture.js';

/** A stand-in for follow-to-log-in: `scan(id, openid)` plays the gateway seeing the scan's event. */
function fakeFollowLogin(pageBase: string) {
  const started = new Map<string, { appid: string; continueUrl: string; openid?: string }>();
  const port: FollowLoginPort & { scan(id: string, openid: string): string } = {
    async start(appid, { continueUrl }) {
      const id = `f${started.size + 1}`;
      started.set(id, { appid, continueUrl });
      return { id, pageUrl: `${pageBase}/follow/${id}` };
    },
    async result(id) {
      const s = started.get(id);
      return s?.openid ? { appid: s.appid, openid: s.openid } : null;
    },
    scan(id, openid) {
      const s = started.get(id)!;
      s.openid = openid;
      return s.continueUrl;
    },
  };
  return port;
}

describe('OpenID Connect provider: runtime clients, key rotation, follow-to-log-in', () => {
  let f: OidcFixture;
  let hub: Hub;
  let issuer: string;
  const follow = fakeFollowLogin('https://follow.example.com');

  beforeAll(async () => {
    f = await oidcFixture();
    ({ hub, issuer } = await f.startHub({ followLogin: follow }));
  });
  afterAll(async () => f?.close());

  it('logs a runtime client in with its secret, kept only as a hash', async () => {
    const { secret } = await hub.services.oidc!.runtimeClients.create({
      client_id: 'runtime',
      redirect_uris: [REDIRECT_URI],
      appid: f.shop.appid,
    });
    const rp = await oidcClient.discovery(
      new URL(issuer),
      'runtime',
      undefined,
      oidcClient.ClientSecretBasic(secret!),
      { execute: [oidcClient.allowInsecureRequests] },
    );
    const user = await f.sim.user(f.shop.appid, {});
    const { tokens } = await f.login(rp, { openid: user.openid });
    expect(tokens.claims()?.openid).toBe(user.openid);

    const wrong = await oidcClient.discovery(
      new URL(issuer),
      'runtime',
      undefined,
      oidcClient.ClientSecretBasic(`${secret}x`),
      { execute: [oidcClient.allowInsecureRequests] },
    );
    const request = await f.authorizationRequest(wrong, 'openid');
    const walked = await f.browse(request.url.href, { userAgent: 'MicroMessenger', openid: user.openid });
    await expect(
      oidcClient.authorizationCodeGrant(wrong, walked.final, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      }),
    ).rejects.toMatchObject({ status: 401 });

    // Removed: its refresh and its new logins are refused.
    expect(await hub.services.oidc!.runtimeClients.remove('runtime')).toBe(true);
    const again = await f.authorizationRequest(rp, 'openid');
    const res = await fetch(again.url, { redirect: 'manual', headers: { 'user-agent': 'MicroMessenger' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('invalid_client');
  });

  it('rotates the signing key: new tokens carry the new kid, the old key stays published', async () => {
    const rp = await f.discover(issuer);
    const user = await f.sim.user(f.shop.appid, {});
    const before = (await f.login(rp, { openid: user.openid })).tokens;
    const oldKid = JSON.parse(Buffer.from(before.id_token!.split('.')[0]!, 'base64url').toString()).kid;
    const rotated = await hub.services.oidc!.signingKeys.rotate();
    expect(await hub.services.oidc!.reload()).toBe(true);
    const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(rotated.map((k) => k.kid));
    expect(jwks.keys.map((k) => k.kid)).toContain(oldKid);
    const after = (await f.login(await f.discover(issuer), { openid: user.openid })).tokens;
    const newKid = JSON.parse(Buffer.from(after.id_token!.split('.')[0]!, 'base64url').toString()).kid;
    expect(newKid).toBe(rotated[0]!.kid);
    expect(newKid).not.toBe(oldKid);
  });

  it('routes a desktop without a website app to follow-to-log-in, and finishes on the scan', async () => {
    const spa = await f.discover(issuer, 'spa');
    const user = await f.sim.user(f.shop.appid, { subscribe: 0 });
    const request = await f.authorizationRequest(spa, 'openid');
    const walked = await f.browse(request.url.href, {
      userAgent: DESKTOP_UA,
      stopAt: (url) => url.origin === 'https://follow.example.com',
    });
    expect(walked.statuses.at(-1)).toBe(302);
    const id = walked.final.pathname.split('/').at(-1)!;
    const continueUrl = follow.scan(id, user.openid);
    expect(continueUrl).toMatch(new RegExp(`^${issuer}/interaction/[^/]+/follow$`));
    const done = await f.browse(continueUrl, { userAgent: DESKTOP_UA, jar: walked.jar });
    expect(done.final.href.startsWith(REDIRECT_URI), done.hops.join('\n')).toBe(true);
    const tokens = await oidcClient.authorizationCodeGrant(spa, done.final, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()).toMatchObject({ openid: user.openid, is_follower: true });
  });

  it('routes a follow login that comes back without a scan (the expired page\'s "log in again") again', async () => {
    const spa = await f.discover(issuer, 'spa');
    const request = await f.authorizationRequest(spa, 'openid');
    const walked = await f.browse(request.url.href, {
      userAgent: DESKTOP_UA,
      stopAt: (url) => url.origin === 'https://follow.example.com',
    });
    const interaction = walked.hops.find((h) => h.includes('/interaction/'))!;
    const res = await fetch(`${interaction}/follow`, {
      redirect: 'manual',
      headers: { cookie: walked.jar.header() },
    });
    expect(res.status).toBe(302);
    // Back to the interaction, which starts a new follow login (a new QR code).
    expect(res.headers.get('location')).toBe(interaction);
  });
});

/** A store whose single-use keys are down (the WeChat state cannot be kept). */
class StateStoreDown extends MemoryStore {
  override async putOnce(): Promise<boolean> {
    throw new WxhubError('WXHUB_ERR_STORE_UNAVAILABLE', 'memory: down for the test');
  }
}

describe('OpenID Connect provider: a store failure on a login page', () => {
  let f: OidcFixture;
  beforeAll(async () => {
    f = await oidcFixture();
  });
  afterAll(async () => f?.close());

  it('answers a bilingual "try again" page with the code, nothing internal', async () => {
    const { issuer } = await f.startHub({ store: new StateStoreDown() });
    const rp = await f.discover(issuer);
    const request = await f.authorizationRequest(rp, 'openid');
    const walked = await f.browse(request.url.href, { userAgent: 'MicroMessenger/8.0' });
    expect(walked.page?.status).toBe(503);
    expect(walked.page?.headers.get('x-wxhub-error')).toBe('WXHUB_ERR_STORE_UNAVAILABLE');
    const page = await walked.page!.text();
    expect(page).toContain('登录服务暂时不可用');
    expect(page).not.toContain('down for the test');
  });
});
