import * as oidcClient from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcFixture, oidcFixture, SECRET, WECHAT_UA } from './support/oidc-fixture.js';

describe('OpenID Connect provider: code flow with openid-client', () => {
  let f: OidcFixture;
  let issuer: string;
  let rp: oidcClient.Configuration;

  beforeAll(async () => {
    f = await oidcFixture();
    ({ issuer } = await f.startHub());
    rp = await f.discover(issuer);
  });
  afterAll(async () => f?.close());

  it('publishes discovery and a JWKS of an RS256 key (first) and an ES256 key, public parts only', async () => {
    const meta = rp.serverMetadata();
    expect(meta.issuer).toBe(issuer);
    expect(meta.authorization_endpoint).toBe(`${issuer}/auth`);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'offline_access']));
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.id_token_signing_alg_values_supported).toEqual(['RS256', 'ES256']);
    // The login policy drops oidc-provider's essential-acr checks on this premise (create-provider.ts).
    expect(meta.claims_parameter_supported).toBe(false);
    const jwks = (await (await fetch(meta.jwks_uri!)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(2);
    expect(jwks.keys[0]!).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[1]!).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    for (const key of jwks.keys) expect(key.d).toBeUndefined();
  });

  it("is found by openid-client's RFC 8414 discovery too (algorithm 'oauth2')", async () => {
    const oauth2 = await oidcClient.discovery(
      new URL(issuer),
      'rp',
      SECRET,
      oidcClient.ClientSecretBasic(SECRET),
      {
        algorithm: 'oauth2',
        execute: [oidcClient.allowInsecureRequests],
      },
    );
    expect(oauth2.serverMetadata()).toEqual(rp.serverMetadata());
  });

  it('signs ID tokens RS256 by default, and ES256 for a client that asks', async () => {
    const header = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString());
    const jwks = (await (await fetch(rp.serverMetadata().jwks_uri!)).json()) as { keys: { kid: string }[] };
    const user = await f.sim.user(f.shop.appid, {});
    const checked = await f.discover(issuer);
    oidcClient.enableNonRepudiationChecks(checked);
    const rs = (await f.login(checked, { openid: user.openid })).tokens;
    expect(header(rs.id_token!)).toMatchObject({ alg: 'RS256', kid: jwks.keys[0]!.kid });

    const es = await oidcClient.discovery(
      new URL(issuer),
      'es',
      { client_secret: SECRET, id_token_signed_response_alg: 'ES256' },
      oidcClient.ClientSecretBasic(SECRET),
      { execute: [oidcClient.allowInsecureRequests, oidcClient.enableNonRepudiationChecks] },
    );
    const tokens = (await f.login(es, { openid: user.openid })).tokens;
    expect(header(tokens.id_token!)).toMatchObject({ alg: 'ES256', kid: jwks.keys[1]!.kid });
    expect(tokens.claims()).toMatchObject({ aud: 'es', openid: user.openid });
  });

  it('logs a follower in through WeChat with PKCE: ID token, userinfo, refresh', async () => {
    const user = await f.sim.user(f.shop.appid, { nickname: 'Ann', subscribe: 1 });
    const { tokens, walked } = await f.login(rp, {
      scope: 'openid profile offline_access',
      openid: user.openid,
      extra: { prompt: 'consent' },
    });
    const at = walked.hops.findIndex((h) => h.includes('/connect/oauth2/authorize'));
    expect(walked.statuses[at - 1], 'the hop to WeChat').toBe(302);
    const authorize = walked.hops[at]!;
    expect(authorize).toMatch(
      new RegExp(
        `/connect/oauth2/authorize\\?appid=${f.shop.appid}&redirect_uri=[^&]+&response_type=code&scope=snsapi_userinfo&state=[A-Za-z0-9]{1,128}#wechat_redirect$`,
      ),
    );
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(issuer);
    expect(claims.aud).toBe('rp');
    expect(claims.openid).toBe(user.openid);
    expect(claims.unionid).toBe(user.unionid);
    expect(claims.is_follower).toBe(true);
    expect(claims.nickname).toBe('Ann');
    expect(typeof claims.picture).toBe('string');
    expect(claims.sub).not.toBe(user.openid);
    const info = await oidcClient.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, openid: user.openid, is_follower: true, nickname: 'Ann' });
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidcClient.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()?.sub).toBe(claims.sub);
  });

  it('logs a non-follower in with snsapi_base for scope openid: is_follower false, no profile', async () => {
    const user = await f.sim.user(f.shop.appid, { subscribe: 0 });
    const { tokens, walked } = await f.login(rp, { scope: 'openid', openid: user.openid });
    expect(walked.hops.some((h) => h.includes('scope=snsapi_base'))).toBe(true);
    const claims = tokens.claims()!;
    expect(claims.openid).toBe(user.openid);
    expect(claims.is_follower).toBe(false);
    expect(claims.nickname).toBeUndefined();
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('refuses a replayed code (and revokes what it gave) and a wrong PKCE verifier', async () => {
    const user = await f.sim.user(f.shop.appid, {});
    const { tokens, walked, request } = await f.login(rp, { openid: user.openid });
    const replay = oidcClient.authorizationCodeGrant(rp, walked.final, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    await expect(replay).rejects.toMatchObject({ error: 'invalid_grant' });
    // The access token the code gave first is revoked with its grant.
    await expect(
      oidcClient.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub),
    ).rejects.toBeTruthy();

    const second = await f.authorizationRequest(rp, 'openid');
    const back = await f.browse(second.url.href, { userAgent: WECHAT_UA, openid: user.openid });
    const wrong = oidcClient.authorizationCodeGrant(rp, back.final, {
      pkceCodeVerifier: oidcClient.randomPKCECodeVerifier(),
      expectedState: second.state,
      expectedNonce: second.nonce,
    });
    await expect(wrong).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
