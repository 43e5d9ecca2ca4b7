import * as oidcClient from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CookieJar,
  freePort,
  type OidcFixture,
  oidcFixture,
  REDIRECT_URI,
  SECRET,
  WECHAT_UA,
} from './support/oidc-fixture.js';

/**
 * What a certification-minded relying party checks, over plain HTTP with no client library in
 * between: discovery's issuer, RFC 6749's error answers on /token, exact redirect URIs, the
 * client's state, prompt=none, max_age and auth_time, CORS for single-page apps, and pushed
 * authorization requests (RFC 9126) with openid-client.
 */
describe('OpenID Connect provider: what a standards-minded relying party checks', () => {
  let f: OidcFixture;
  let issuer: string;
  let rp: oidcClient.Configuration;
  let meta: oidcClient.ServerMetadata;
  const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;

  beforeAll(async () => {
    f = await oidcFixture();
    const clients = [
      { client_id: 'rp', client_secret: SECRET, redirect_uris: [REDIRECT_URI], appid: f.shop.appid },
      {
        client_id: 'post',
        client_secret: SECRET,
        token_endpoint_auth_method: 'client_secret_post' as const,
        redirect_uris: [REDIRECT_URI],
        appid: f.shop.appid,
      },
      { client_id: 'spa', redirect_uris: [REDIRECT_URI], appid: f.shop.appid },
      { client_id: 'news', client_secret: SECRET, redirect_uris: [REDIRECT_URI], appid: f.news.appid },
    ];
    ({ issuer } = await f.startHub({ config: { oidc: { clients } } }));
    rp = await f.discover(issuer, 'rp');
    meta = rp.serverMetadata();
  });
  afterAll(async () => f?.close());
  afterEach(() => vi.useRealTimers());

  /** A code for `rp` from a WeChat login of a new user, and the request that asked for it. */
  async function code(config = rp, jar?: CookieJar) {
    const user = await f.sim.user(f.shop.appid, {});
    const request = await f.authorizationRequest(config, 'openid');
    const walked = await f.browse(request.url.href, { userAgent: WECHAT_UA, openid: user.openid, jar });
    const value = walked.final.searchParams.get('code');
    expect(value, walked.hops.join('\n')).toBeTruthy();
    return { code: value!, request, walked, user };
  }

  /** A raw token request: form fields, optional Authorization, optional Origin. */
  function token(fields: Record<string, string>, headers: Record<string, string> = {}) {
    return fetch(meta.token_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields),
    });
  }

  const exchange = (c: string, verifier: string, extra: Record<string, string> = {}) =>
    token(
      {
        grant_type: 'authorization_code',
        code: c,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
        ...extra,
      },
      { authorization: basic('rp', SECRET) },
    );

  /** RFC 6749 5.2: JSON with `error`, the status given, never cached. */
  async function expectOAuthError(res: Response, status: number, error: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const body = (await res.json()) as { error: string; error_description?: string };
    expect(body.error).toBe(error);
    return body;
  }

  describe('discovery', () => {
    it('keeps the issuer exact when publicUrl ends with a slash', async () => {
      const port = await freePort();
      const started = await f.startHub({ port, config: { publicUrl: `http://127.0.0.1:${port}/` } });
      const doc = (await (
        await fetch(`http://127.0.0.1:${port}/oidc/.well-known/openid-configuration`)
      ).json()) as {
        issuer: string;
        token_endpoint: string;
      };
      expect(doc.issuer).toBe(`http://127.0.0.1:${port}/oidc`);
      expect(doc.token_endpoint).toBe(`http://127.0.0.1:${port}/oidc/token`);
      await started.hub.close();
    });

    it("names an issuer equal to the URL it was fetched from and to the ID tokens' iss", async () => {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as Record<string, unknown>;
      expect(doc.issuer).toBe(issuer);
      expect(doc.response_types_supported).toEqual(['code']);
      expect(doc.subject_types_supported).toEqual(expect.arrayContaining(['public', 'pairwise']));
      expect(doc.id_token_signing_alg_values_supported).toContain('RS256');
      expect(doc.claims_supported).toContain('auth_time');
      expect(doc.revocation_endpoint_auth_methods_supported).toEqual(
        doc.token_endpoint_auth_methods_supported,
      );
      const { code: c, request } = await code();
      const res2 = await exchange(c, request.verifier);
      const body = (await res2.json()) as { id_token: string };
      const payload = JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString());
      expect(payload.iss).toBe(doc.issuer);
    });

    it('serves the same metadata at the host root for RFC 8414 clients', async () => {
      const oidc = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
      const { origin, pathname } = new URL(issuer);
      for (const wellKnown of ['oauth-authorization-server', 'openid-configuration']) {
        const res = await fetch(`${origin}/.well-known/${wellKnown}${pathname}`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual(oidc);
      }
      expect((await fetch(`${origin}/.well-known/oauth-authorization-server/other`)).status).toBe(404);
    });
  });

  describe('userinfo (OpenID Connect Core 5.3)', () => {
    it('answers GET and POST, with the bearer token in the header or the form body (RFC 6750)', async () => {
      const { code: c, request } = await code();
      const { access_token } = (await (await exchange(c, request.verifier)).json()) as {
        access_token: string;
      };
      const url = meta.userinfo_endpoint!;
      const answers = [
        await fetch(url, { headers: { authorization: `Bearer ${access_token}` } }),
        await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${access_token}` } }),
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ access_token }),
        }),
      ];
      const subs = new Set<string>();
      for (const res of answers) {
        expect(res.status).toBe(200);
        subs.add(((await res.json()) as { sub: string }).sub);
      }
      expect(subs.size).toBe(1);
      // RFC 6750 3.1: no token at all is 401 with the scheme and realm, and no error code.
      const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
      for (const none of [
        await fetch(url),
        await fetch(url, { method: 'POST' }),
        await fetch(url, { headers: html }),
      ]) {
        expect(none.status).toBe(401);
        expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+"$/);
      }
      const unknown = await fetch(url, { headers: { authorization: 'Bearer not-a-token' } });
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    });
  });

  describe('errors on /token (RFC 6749 5.2)', () => {
    it('answers a good exchange with no-store JSON, then invalid_grant to the same code replayed', async () => {
      const { code: c, request } = await code();
      const ok = await exchange(c, request.verifier);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('cache-control')).toContain('no-store');
      expect(await ok.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
      await expectOAuthError(await exchange(c, request.verifier), 400, 'invalid_grant');
    });

    it('answers invalid_grant to a wrong or missing PKCE verifier (RFC 7636 4.6)', async () => {
      const first = await code();
      await expectOAuthError(
        await exchange(first.code, oidcClient.randomPKCECodeVerifier()),
        400,
        'invalid_grant',
      );
      const second = await code();
      const res = await token(
        { grant_type: 'authorization_code', code: second.code, redirect_uri: REDIRECT_URI },
        { authorization: basic('rp', SECRET) },
      );
      await expectOAuthError(res, 400, 'invalid_grant');
    });

    it('takes a confidential client without PKCE, and refuses a verifier its request had no challenge for', async () => {
      const user = await f.sim.user(f.shop.appid, {});
      const url = new URL(meta.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: 'rp',
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        state: 's-nopkce',
        nonce: 'n-nopkce',
      }).toString();
      const codeOf = async () => {
        const walked = await f.browse(url.href, { userAgent: WECHAT_UA, openid: user.openid });
        expect(walked.final.searchParams.get('error'), walked.final.href).toBeNull();
        return walked.final.searchParams.get('code')!;
      };
      const fields = (c: string) => ({
        grant_type: 'authorization_code',
        code: c,
        redirect_uri: REDIRECT_URI,
      });
      const ok = await token(fields(await codeOf()), { authorization: basic('rp', SECRET) });
      expect(ok.status).toBe(200);
      // RFC 9700 2.1.1: a code_verifier without a challenge is a PKCE downgrade, refused.
      const downgrade = await token(
        { ...fields(await codeOf()), code_verifier: oidcClient.randomPKCECodeVerifier() },
        { authorization: basic('rp', SECRET) },
      );
      await expectOAuthError(downgrade, 400, 'invalid_grant');
    });

    it('answers invalid_grant to an expired code (older than its 60 s)', async () => {
      const { code: c, request } = await code();
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
      await expectOAuthError(await exchange(c, request.verifier), 400, 'invalid_grant');
    });

    it('answers invalid_grant to another redirect_uri, or to a code of another client', async () => {
      const first = await code();
      await expectOAuthError(
        await exchange(first.code, first.request.verifier, { redirect_uri: 'https://rp.example.com/other' }),
        400,
        'invalid_grant',
      );
      const second = await code();
      const res = await token({
        grant_type: 'authorization_code',
        code: second.code,
        redirect_uri: REDIRECT_URI,
        code_verifier: second.request.verifier,
        client_id: 'post',
        client_secret: SECRET,
      });
      await expectOAuthError(res, 400, 'invalid_grant');
    });

    it('answers invalid_client with 401 and WWW-Authenticate: Basic to a wrong secret in the header', async () => {
      const { code: c, request } = await code();
      const fields = {
        grant_type: 'authorization_code',
        code: c,
        redirect_uri: REDIRECT_URI,
        code_verifier: request.verifier,
      };
      for (const authorization of [basic('rp', `${SECRET}x`), basic('nobody', SECRET)]) {
        const res = await token(fields, { authorization });
        await expectOAuthError(res, 401, 'invalid_client');
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
      }
      // The code survived the failed attempts: only a client that authenticates can spend it.
      expect((await exchange(c, request.verifier)).status).toBe(200);
    });

    it('answers invalid_client with 401 to a wrong secret in the body', async () => {
      const fields = { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT_URI };
      const wrong = await token({ ...fields, client_id: 'post', client_secret: `${SECRET}x` });
      await expectOAuthError(wrong, 401, 'invalid_client');
      // Basic with the right secret authenticates even a client registered for client_secret_post
      // (RFC 6749 2.3.1: Basic MUST be supported for a client with a password): the bogus code
      // is what fails, after authentication.
      const otherMethod = await token(fields, { authorization: basic('post', SECRET) });
      await expectOAuthError(otherMethod, 400, 'invalid_grant');
    });

    it('answers unsupported_grant_type to a grant the provider does not offer', async () => {
      const res = await token({ grant_type: 'client_credentials' }, { authorization: basic('rp', SECRET) });
      await expectOAuthError(res, 400, 'unsupported_grant_type');
    });
  });

  describe('the authorization endpoint', () => {
    it.each([
      ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example.com/cb' }],
      ['a registered one with a query added', { redirect_uri: `${REDIRECT_URI}?next=/admin` }],
      ['a registered one with a trailing slash', { redirect_uri: `${REDIRECT_URI}/` }],
      ['an unknown client', { client_id: 'nobody' }],
    ])('never redirects for %s', async (_name, change) => {
      const request = await f.authorizationRequest(rp, 'openid');
      const url = new URL(request.url);
      for (const [k, v] of Object.entries(change)) url.searchParams.set(k, v);
      const res = await fetch(url, { redirect: 'manual', headers: { 'user-agent': WECHAT_UA } });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    });

    it('answers a response_type it does not offer with unsupported_response_type to the client', async () => {
      const request = await f.authorizationRequest(rp, 'openid', {
        response_type: 'id_token',
        state: 's-rt',
      });
      const res = await fetch(request.url, { redirect: 'manual', headers: { 'user-agent': WECHAT_UA } });
      const back = new URL(res.headers.get('location')!);
      expect(back.origin + back.pathname).toBe(REDIRECT_URI);
      // The error may come in the query or, for a fragment response type, in the fragment.
      const answer = new URLSearchParams(back.hash.slice(1) || back.search);
      expect(answer.get('error')).toBe('unsupported_response_type');
      expect(answer.get('state')).toBe('s-rt');
    });

    it('answers response_mode=form_post with a form to the redirect URI that works without script', async () => {
      const user = await f.sim.user(f.shop.appid, {});
      const request = await f.authorizationRequest(rp, 'openid', {
        response_mode: 'form_post',
        state: 's-fp',
      });
      const walked = await f.browse(request.url.href, { userAgent: WECHAT_UA, openid: user.openid });
      expect(walked.page?.status).toBe(200);
      const page = await walked.page!.text();
      expect(page).toContain(`<form method="post" action="${REDIRECT_URI}">`);
      const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page)?.[1];
      expect(field('code')).toBeTruthy();
      expect(field('state')).toBe('s-fp');
      expect(field('iss')).toBe(issuer);
      expect(page).toMatch(/<noscript>[\s\S]*<button[^>]*type="submit"/);
      expect(walked.page!.headers.get('cache-control')).toContain('no-store');
      expect((await exchange(field('code')!, request.verifier)).status).toBe(200);
    });

    /**
     * Another person logging in over a session: oidc-provider first ends the previous session
     * with a form its page submits itself (a button without script); this submits it.
     */
    async function endPreviousSession(page: Response, jar: CookieJar) {
      const html = await page.text();
      const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
      expect(action, html).toBe(`${issuer}/session/end/confirm`);
      const fields = [...html.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [
        m[1]!,
        m[2]!,
      ]);
      const confirmed = await fetch(action!, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields),
      });
      jar.take(confirmed);
      expect(confirmed.status).toBe(303);
      return f.browse(new URL(confirmed.headers.get('location')!, action).href, {
        userAgent: WECHAT_UA,
        jar,
      });
    }

    const idTokenOf = async (c: string, verifier: string) => {
      const body = (await (await exchange(c, verifier)).json()) as { id_token: string };
      return JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString()) as Record<
        string,
        unknown
      >;
    };

    it('asks WeChat again for prompt=login, where another person may log in over the session', async () => {
      const jar = new CookieJar();
      const first = await code(rp, jar);
      const other = await f.sim.user(f.shop.appid, {});
      const again = await f.authorizationRequest(rp, 'openid', { prompt: 'login', state: 's-login' });
      const walked = await f.browse(again.url.href, { userAgent: WECHAT_UA, jar, openid: other.openid });
      expect(walked.hops.some((h) => h.startsWith(f.sim.url))).toBe(true);
      const done = await endPreviousSession(walked.page!, jar);
      expect(done.final.searchParams.get('state'), done.hops.join('\n')).toBe('s-login');
      const claims = await idTokenOf(done.final.searchParams.get('code')!, again.verifier);
      expect(claims.openid).toBe(other.openid);
      expect(claims.openid).not.toBe(first.user.openid);
    });

    it('takes prompt=select_account (Core 3.1.2.1) as a login at WeChat again', async () => {
      const jar = new CookieJar();
      const first = await code(rp, jar);
      const again = await f.authorizationRequest(rp, 'openid', { prompt: 'select_account', state: 's-sel' });
      const walked = await f.browse(again.url.href, { userAgent: WECHAT_UA, jar, openid: first.user.openid });
      expect(walked.hops.some((h) => h.startsWith(f.sim.url))).toBe(true);
      expect(walked.final.searchParams.get('error')).toBeNull();
      expect(walked.final.searchParams.get('state')).toBe('s-sel');
      const claims = await idTokenOf(walked.final.searchParams.get('code')!, again.verifier);
      expect(claims.openid).toBe(first.user.openid);
    });

    it('returns the client state unchanged through the whole WeChat login', async () => {
      const state = 'a b+c/d=e&f?g%h~中文😀';
      const user = await f.sim.user(f.shop.appid, {});
      const request = await f.authorizationRequest(rp, 'openid', { state });
      const walked = await f.browse(request.url.href, { userAgent: WECHAT_UA, openid: user.openid });
      expect(walked.final.searchParams.get('code')).toBeTruthy();
      expect(walked.final.searchParams.get('state')).toBe(state);
    });

    it('answers prompt=none without a session with login_required to the client, no page, no WeChat', async () => {
      const request = await f.authorizationRequest(rp, 'openid', { prompt: 'none', state: 's-none' });
      const walked = await f.browse(request.url.href, { userAgent: WECHAT_UA });
      expect(walked.hops.some((h) => h.startsWith(f.sim.url) || h.includes('/interaction/'))).toBe(false);
      expect(walked.final.origin + walked.final.pathname).toBe(REDIRECT_URI);
      expect(walked.final.searchParams.get('error')).toBe('login_required');
      expect(walked.final.searchParams.get('state')).toBe('s-none');
      expect(walked.final.searchParams.get('iss')).toBe(issuer);
    });

    it('answers prompt=none with a session: a code at once, or login_required for another account', async () => {
      const jar = new CookieJar();
      const first = await code(rp, jar);
      const again = await f.authorizationRequest(rp, 'openid', { prompt: 'none' });
      const silent = await f.browse(again.url.href, { userAgent: WECHAT_UA, jar });
      expect(silent.hops.some((h) => h.startsWith(f.sim.url))).toBe(false);
      expect(silent.final.searchParams.get('code')).toBeTruthy();
      // The session's user never logged in on the News account: it cannot give news its openid.
      const news = await f.discover(issuer, 'news');
      const other = await f.authorizationRequest(news, 'openid', { prompt: 'none', state: 's-news' });
      const refused = await f.browse(other.url.href, {
        userAgent: WECHAT_UA,
        jar,
        openid: first.user.openid,
      });
      expect(refused.final.searchParams.get('error')).toBe('login_required');
      expect(refused.final.searchParams.get('state')).toBe('s-news');
    });

    it('honours max_age: an older login goes through WeChat again, and the ID token has auth_time', async () => {
      const jar = new CookieJar();
      const first = await code(rp, jar);
      const idToken = async (c: string, verifier: string) => {
        const body = (await (await exchange(c, verifier)).json()) as { id_token: string };
        return JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString()) as {
          auth_time?: number;
          sub: string;
        };
      };
      const firstClaims = await idToken(first.code, first.request.verifier);
      // A session younger than max_age: no WeChat hop, and auth_time, since max_age was asked.
      const young = await f.authorizationRequest(rp, 'openid', { max_age: '3600' });
      const kept = await f.browse(young.url.href, { userAgent: WECHAT_UA, jar });
      expect(kept.hops.some((h) => h.startsWith(f.sim.url))).toBe(false);
      const keptClaims = await idToken(kept.final.searchParams.get('code')!, young.verifier);
      expect(keptClaims.auth_time).toEqual(expect.any(Number));
      // An older one (two seconds, max_age=1): WeChat again, a later auth_time, the same person.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2000, shouldAdvanceTime: true });
      const old = await f.authorizationRequest(rp, 'openid', { max_age: '1' });
      const renewed = await f.browse(old.url.href, { userAgent: WECHAT_UA, jar, openid: first.user.openid });
      expect(renewed.hops.some((h) => h.startsWith(f.sim.url))).toBe(true);
      const renewedClaims = await idToken(renewed.final.searchParams.get('code')!, old.verifier);
      expect(renewedClaims.sub).toBe(firstClaims.sub);
      expect(renewedClaims.auth_time!).toBeGreaterThan(keptClaims.auth_time!);
    });
  });

  describe('RP-initiated logout', () => {
    it('never redirects to a post_logout_redirect_uri the client did not register', async () => {
      const { code: c, request, walked } = await code();
      const { id_token } = (await (await exchange(c, request.verifier)).json()) as { id_token: string };
      const url = new URL(meta.end_session_endpoint!);
      url.search = new URLSearchParams({
        id_token_hint: id_token,
        post_logout_redirect_uri: 'https://evil.example.com/bye',
        state: 'x',
      }).toString();
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: walked.jar.header() } });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).not.toContain('evil.example.com');
    });
  });

  describe('CORS for single-page apps (a public client)', () => {
    const origin = new URL(REDIRECT_URI).origin;

    it("lets the public client's origin call /token, preflight included, and no other origin", async () => {
      const preflight = await fetch(meta.token_endpoint!, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');

      const spa = await f.discover(issuer, 'spa');
      const { code: c, request } = await code(spa);
      const fields = {
        grant_type: 'authorization_code',
        code: c,
        redirect_uri: REDIRECT_URI,
        code_verifier: request.verifier,
        client_id: 'spa',
      };
      const res = await token(fields, { origin });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      const { access_token } = (await res.json()) as { access_token: string };

      const me = await fetch(meta.userinfo_endpoint!, {
        headers: { origin, authorization: `Bearer ${access_token}` },
      });
      expect(me.status).toBe(200);
      expect(me.headers.get('access-control-allow-origin')).toBe(origin);

      const evil = await token({ ...fields, code: 'x' }, { origin: 'https://evil.example.com' });
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();

      // The SPA revokes its token at logout, from the same origin.
      const revoked = await fetch(meta.revocation_endpoint!, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: access_token, client_id: 'spa' }),
      });
      expect(revoked.status).toBe(200);
      expect(revoked.headers.get('access-control-allow-origin')).toBe(origin);
      const after = await fetch(meta.userinfo_endpoint!, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(after.status).toBe(401);
    });

    it("gives a confidential client's /token no CORS (its secret never belongs in a browser)", async () => {
      const res = await token(
        { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT_URI },
        { origin, authorization: basic('rp', SECRET) },
      );
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('serves discovery and the JWKS to any origin', async () => {
      for (const url of [`${issuer}/.well-known/openid-configuration`, meta.jwks_uri!]) {
        const res = await fetch(url, { headers: { origin: 'https://anywhere.example.org' } });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toMatch(
          /^(\*|https:\/\/anywhere\.example\.org)$/,
        );
      }
    });
  });

  describe('pushed authorization requests (RFC 9126)', () => {
    it('logs in through the advertised endpoint with openid-client', async () => {
      expect(meta.pushed_authorization_request_endpoint).toBe(`${issuer}/request`);
      const user = await f.sim.user(f.shop.appid, {});
      const verifier = oidcClient.randomPKCECodeVerifier();
      const state = oidcClient.randomState();
      const nonce = oidcClient.randomNonce();
      const url = await oidcClient.buildAuthorizationUrlWithPAR(rp, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: await oidcClient.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      const walked = await f.browse(url.href, { userAgent: WECHAT_UA, openid: user.openid });
      const tokens = await oidcClient.authorizationCodeGrant(rp, walked.final, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      });
      expect(tokens.claims()).toMatchObject({ iss: issuer, aud: 'rp', openid: user.openid });
      // A request_uri is single use: the same link again is refused, never a second login.
      const replay = await fetch(url, { redirect: 'manual', headers: { 'user-agent': WECHAT_UA } });
      const back = new URL(replay.headers.get('location')!);
      // RFC 9126 4: invalid_request_uri, to the client's registered redirect URI, and no code.
      expect(back.origin + back.pathname).toBe(REDIRECT_URI);
      expect(back.searchParams.get('error')).toBe('invalid_request_uri');
      expect(back.searchParams.get('code')).toBeNull();
    });

    it('refuses a push without client authentication from a confidential client', async () => {
      const res = await fetch(meta.pushed_authorization_request_endpoint!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: 'rp',
          response_type: 'code',
          redirect_uri: REDIRECT_URI,
          scope: 'openid',
        }),
      });
      await expectOAuthError(res, 401, 'invalid_client');
    });
  });
});
