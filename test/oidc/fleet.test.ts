import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidcClient from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceUrl } from '../support/services.js';
import { freePort, type OidcFixture, oidcFixture, WECHAT_UA } from './support/oidc-fixture.js';

const redis = serviceUrl('redis');
const postgres = serviceUrl('postgres');

/**
 * Two hubs behind one public URL on one store and one database: the login starts on one and
 * every later hop (the interaction, WeChat's callback, the resume, the token call) lands on the
 * other. Cookie keys, signing keys and every provider record must be shared for this to work.
 */
function describeFleet(name: string, store: (dir: string) => string | undefined) {
  describe.skipIf(store('') === undefined)(`OpenID Connect provider: a fleet of two hubs on ${name}`, () => {
    let f: OidcFixture;
    let a: string;
    let b: string;
    let issuer: string;

    beforeAll(async () => {
      f = await oidcFixture();
      const dir = mkdtempSync(join(tmpdir(), 'wxhub-oidc-fleet-'));
      const config = { store: store(dir)!, database: `sqlite:${join(dir, 'hub.db')}` };
      const portA = await freePort();
      const first = await f.startHub({ port: portA, config });
      const second = await f.startHub({ publicPort: portA, config });
      ({ issuer } = first);
      a = first.url;
      b = second.url;
      expect(second.issuer).toBe(issuer);
    });
    afterAll(async () => f?.close());

    it('publishes the same signing keys on both hubs', async () => {
      const jwks = async (base: string) => (await fetch(`${base}/oidc/jwks`)).json();
      expect(await jwks(b)).toEqual(await jwks(a));
    });

    it('starts a login on one hub and finishes it on the other', async () => {
      const rp = await f.discover(issuer);
      const user = await f.sim.user(f.shop.appid, { subscribe: 1 });
      const request = await f.authorizationRequest(rp, 'openid offline_access', { prompt: 'consent' });
      let hop = 0;
      // The first request (the authorization) goes to hub A, every later one to hub B.
      const walked = await f.browse(request.url.href, {
        userAgent: WECHAT_UA,
        openid: user.openid,
        rewrite: (url) => (hop++ === 0 || !url.startsWith(a) ? url : url.replace(a, b)),
      });
      // WeChat's callback and the resume (the authorization went straight to WeChat from A).
      const onB = walked.hops.filter((h) => h.startsWith(b));
      expect(onB.some((h) => /\/interaction\/[^/]+\/wechat\//.test(h))).toBe(true);
      expect(onB.some((h) => /\/oidc\/auth\/[^/?]+/.test(h))).toBe(true);
      // The relying party's token call goes to hub B too (discovery names the public URL, A's).
      const viaB = await f.discover(issuer);
      viaB[oidcClient.customFetch] = (url, options) => fetch(url.replace(a, b), options as RequestInit);
      const tokens = await oidcClient.authorizationCodeGrant(viaB, walked.final, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      });
      expect(tokens.claims()?.openid).toBe(user.openid);
      // The refresh token issued by B works on A.
      const refreshed = await oidcClient.refreshTokenGrant(rp, tokens.refresh_token!);
      expect(refreshed.claims()?.sub).toBe(tokens.claims()?.sub);
    });
  });
}

describeFleet('SQLite', (dir) => `sqlite:${join(dir, 'store.db')}`);
describeFleet('Redis', () => redis);
describeFleet('PostgreSQL', () => postgres);
