import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authlibPython, runAuthlib } from './rp/authlib.js';
import { type OidcFixture, oidcFixture, REDIRECT_URI, SECRET } from './support/oidc-fixture.js';

/**
 * Interoperability with a relying party that shares nothing with oidc-provider: Authlib 1.2
 * (Debian's python3-authlib), through rp/authlib_rp.py. Authlib does the protocol (discovery
 * checks, state, nonce, PKCE S256, client authentication, the ID token's signature and claims,
 * userinfo, refresh, revocation); the script plays the person in WeChat's browser; this file
 * judges what it reports.
 */
const python = authlibPython();
const BYE = 'https://rp.example.com/bye';

interface Claims {
  sub: string;
  iss: string;
  aud: string | string[];
  nonce?: string;
  at_hash?: string;
  auth_time?: number;
  openid?: string;
  unionid?: string;
  is_follower?: boolean;
  nickname?: string;
}

interface LoginReport {
  authorization_request: { code_challenge_method: string | null; state: string; nonce: string };
  hops: string[];
  stuck?: { url: string; status: number; body: string };
  callback?: Record<string, string>;
  token_error?: { error: string; description: string };
  token?: { token_type: string; expires_in: number; scope: string; has_refresh_token: boolean };
  id_token_header?: { alg: string; kid: string };
  claims?: Claims;
  userinfo?: Claims;
  par?: { status: number; body: { request_uri: string; expires_in: number } };
  refresh?: { access_token_changed: boolean; refresh_token_rotated: boolean; claims?: Claims };
  revocation?: {
    access_token_revocation_status?: number;
    refresh_token_revocation_status?: number;
    refresh_after_revocation?: { error: string } | 'accepted';
    userinfo_after_revocation: { status: number; www_authenticate: string | null };
    unknown_token_revocation_status: number;
  };
  logout?: {
    confirmation_status: number | null;
    landed: string;
    prompt_none_after_logout: Record<string, string>;
    prompt_none_state: string;
  };
}

interface DiscoveryReport {
  fetched_from: string;
  content_type: string;
  metadata: Record<string, unknown> & { issuer: string };
  jwks: { kty: string; alg: string; use: string; kid: string }[];
  private_parts: string[];
}

describe.skipIf(!python)('Authlib (Python) as the relying party of the hub', () => {
  let f: OidcFixture;
  let issuer: string;
  let kids: string[];

  beforeAll(async () => {
    f = await oidcFixture();
    const clients = [
      {
        client_id: 'rp-basic',
        client_secret: SECRET,
        redirect_uris: [REDIRECT_URI],
        post_logout_redirect_uris: [BYE],
        appid: f.shop.appid,
      },
      {
        client_id: 'rp-post',
        client_secret: SECRET,
        token_endpoint_auth_method: 'client_secret_post' as const,
        redirect_uris: [REDIRECT_URI],
        appid: f.shop.appid,
      },
      { client_id: 'rp-public', redirect_uris: [REDIRECT_URI], appid: f.shop.appid },
    ];
    ({ issuer } = await f.startHub({ config: { oidc: { clients } } }));
    const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    kids = jwks.keys.map((k) => k.kid);
  });
  afterAll(async () => f?.close());

  /** A login by Authlib as `client`, in WeChat's browser as a new simulated follower. */
  async function login(client: Record<string, string | boolean>, extra: Record<string, unknown> = {}) {
    const user = await f.sim.user(f.shop.appid, { nickname: 'Lin', subscribe: 1 });
    const report = await runAuthlib<LoginReport>(python!, 'login', {
      issuer,
      sim: f.sim.url,
      openid: user.openid,
      redirect_uri: REDIRECT_URI,
      post_logout_redirect_uri: BYE,
      client,
      ...extra,
    });
    expect(report.stuck, report.hops.join('\n')).toBeUndefined();
    expect(report.token_error).toBeUndefined();
    return { report, user };
  }

  /** What every Authlib login must show: its own state back, PKCE S256, a verified RS256 ID token. */
  function expectVerifiedLogin(report: LoginReport, clientId: string, openid: string) {
    expect(report.authorization_request.code_challenge_method).toBe('S256');
    expect(report.callback?.state).toBe(report.authorization_request.state);
    // RFC 9207: discovery says the issuer comes back with the code; it must be the issuer.
    expect(report.callback?.iss).toBe(issuer);
    expect(report.id_token_header?.alg).toBe('RS256');
    expect(kids).toContain(report.id_token_header?.kid);
    const claims = report.claims!;
    expect(claims).toMatchObject({ iss: issuer, aud: clientId, nonce: report.authorization_request.nonce });
    expect(claims.at_hash, 'at_hash (Authlib checked it against the access token)').toEqual(
      expect.any(String),
    );
    expect(claims.openid).toBe(openid);
    expect(claims.sub).not.toBe(openid);
    expect(report.userinfo).toMatchObject({ sub: claims.sub, openid });
  }

  it('reads discovery with Authlib: its OpenID Provider Metadata checks pass, issuer is the URL', async () => {
    const d = await runAuthlib<DiscoveryReport>(python!, 'discovery', { issuer });
    expect(d.fetched_from).toBe(`${issuer}/.well-known/openid-configuration`);
    expect(d.content_type).toMatch(/^application\/json/);
    // OpenID Connect Discovery 4.3: exactly the URL it was fetched from minus the suffix.
    expect(d.metadata.issuer).toBe(d.fetched_from.replace(/\/\.well-known\/openid-configuration$/, ''));
    expect(d.metadata).toMatchObject({
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      subject_types_supported: expect.arrayContaining(['public', 'pairwise']),
      id_token_signing_alg_values_supported: expect.arrayContaining(['RS256']),
      token_endpoint_auth_methods_supported: expect.arrayContaining([
        'client_secret_basic',
        'client_secret_post',
        'none',
      ]),
    });
    // RFC 8414: without it a reader assumes client_secret_basic only, and a public client gives up.
    expect(d.metadata.revocation_endpoint_auth_methods_supported).toEqual(
      d.metadata.token_endpoint_auth_methods_supported,
    );
    for (const endpoint of ['authorization', 'token', 'userinfo', 'revocation', 'end_session'])
      expect(String(d.metadata[`${endpoint}_endpoint`])).toMatch(new RegExp(`^${issuer}/`));
    expect(d.jwks.length).toBeGreaterThan(0);
    // Authlib imports the whole set: the RS256 key (every client's default) and the ES256 one.
    expect(
      d.jwks.map((key: { kty: string; alg: string; use: string }) => `${key.kty} ${key.alg} ${key.use}`),
    ).toEqual(['RSA RS256 sig', 'EC ES256 sig']);
    expect(d.private_parts).toEqual([]);
  });

  it('client_secret_basic: code + PKCE, ID token, userinfo, refresh, revocation, RP-initiated logout', async () => {
    const { report, user } = await login(
      { id: 'rp-basic', secret: SECRET, auth_method: 'client_secret_basic' },
      { scope: 'openid profile offline_access', prompt: 'consent', revoke: true, logout: true },
    );
    expectVerifiedLogin(report, 'rp-basic', user.openid);
    expect(report.token).toMatchObject({ token_type: 'Bearer', has_refresh_token: true });
    expect(report.claims).toMatchObject({ nickname: 'Lin', is_follower: true, unionid: user.unionid });

    // The refreshed ID token passed the same Authlib checks; same person.
    expect(report.refresh?.access_token_changed).toBe(true);
    expect(report.refresh?.claims).toMatchObject({ iss: issuer, aud: 'rp-basic', sub: report.claims!.sub });

    // RFC 7009: the refresh token is revoked, and with it the access tokens of its grant (2.1).
    const revocation = report.revocation!;
    expect(revocation.refresh_token_revocation_status).toBe(200);
    expect(revocation.refresh_after_revocation).toMatchObject({ error: 'invalid_grant' });
    expect(revocation.userinfo_after_revocation.status).toBe(401);
    expect(revocation.userinfo_after_revocation.www_authenticate).toMatch(/^Bearer .*error="invalid_token"/);
    // RFC 7009 2.2: an invalid token is not an error.
    expect(revocation.unknown_token_revocation_status).toBe(200);

    const logout = report.logout!;
    expect(logout.confirmation_status).toBe(200);
    expect(logout.landed).toBe(`${BYE}?state=logout-state-1`);
    // The session is over: a silent login is refused to the client, with its state.
    expect(logout.prompt_none_after_logout).toMatchObject({
      error: 'login_required',
      state: logout.prompt_none_state,
      iss: issuer,
    });
  });

  it('client_secret_post: code + PKCE with the secret in the body, max_age gives auth_time, revocation', async () => {
    const { report, user } = await login(
      { id: 'rp-post', secret: SECRET, auth_method: 'client_secret_post' },
      { scope: 'openid', max_age: 600, revoke: true },
    );
    expectVerifiedLogin(report, 'rp-post', user.openid);
    const now = Date.now() / 1000;
    expect(report.claims!.auth_time).toBeGreaterThan(now - 60);
    expect(report.claims!.auth_time).toBeLessThanOrEqual(now + 1);
    expect(report.token?.has_refresh_token).toBe(false);
    expect(report.revocation?.access_token_revocation_status).toBe(200);
    expect(report.revocation?.userinfo_after_revocation.status).toBe(401);
  });

  it('a confidential client without PKCE (nonce and client authentication only, RFC 9700 2.1.1)', async () => {
    const { report, user } = await login(
      { id: 'rp-basic', secret: SECRET, auth_method: 'client_secret_basic', pkce: false },
      { scope: 'openid' },
    );
    expect(report.authorization_request.code_challenge_method).toBeNull();
    expect(report.claims).toMatchObject({
      iss: issuer,
      aud: 'rp-basic',
      nonce: report.authorization_request.nonce,
    });
    expect(report.claims?.openid).toBe(user.openid);
  });

  it('a public client (none): PKCE alone, refresh tokens rotated at each use, revocation', async () => {
    const { report, user } = await login(
      { id: 'rp-public', auth_method: 'none' },
      { scope: 'openid offline_access', prompt: 'consent', revoke: true },
    );
    expectVerifiedLogin(report, 'rp-public', user.openid);
    expect(report.refresh).toMatchObject({ access_token_changed: true, refresh_token_rotated: true });
    expect(report.revocation).toMatchObject({
      refresh_token_revocation_status: 200,
      refresh_after_revocation: { error: 'invalid_grant' },
      userinfo_after_revocation: { status: 401 },
    });
  });

  it('pushed authorization requests (RFC 9126): Authlib pushes, the browser carries only request_uri', async () => {
    const { report, user } = await login(
      { id: 'rp-basic', secret: SECRET, auth_method: 'client_secret_basic' },
      { scope: 'openid', par: true },
    );
    expect(report.par?.status).toBe(201);
    expect(report.par?.body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(report.par?.body.expires_in).toBeGreaterThan(0);
    const start = new URL(report.hops[0]!);
    expect([...start.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expectVerifiedLogin(report, 'rp-basic', user.openid);
  });
});
