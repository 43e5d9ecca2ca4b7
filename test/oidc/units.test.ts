import type { IncomingMessage } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { hashKeySecret } from '../../src/hub/keys/client-key-format.js';
import { claimsFor } from '../../src/oidc/account-claims.js';
import { chooseLoginRoute } from '../../src/oidc/login-routing.js';
import { clientMetadata, HASHED_SECRET_PREFIX, secretMatches } from '../../src/oidc/oidc-clients.js';
import { asIssuer } from '../../src/oidc/oidc-routes.js';

const OA = 'wx1234567890abcdef';
const SITE = 'wx00000000000000aa';

describe('chooseLoginRoute', () => {
  const wechat = 'Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.49.2600(0x2800313D) WeChat/arm64';
  const desktop = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15';
  it("takes the Official Account's web authorization in WeChat's browser, even with a website app", () => {
    expect(chooseLoginRoute(wechat, { appid: OA, websiteAppid: SITE }, true)).toEqual({
      kind: 'web-authorization',
      appid: OA,
    });
  });
  it('takes the website QR login on a desktop with a website app', () => {
    expect(chooseLoginRoute(desktop, { appid: OA, websiteAppid: SITE }, true)).toEqual({
      kind: 'website-qr',
      appid: SITE,
    });
  });
  it('takes follow-to-log-in on a desktop without one, or the open-in-WeChat page when the hub has none', () => {
    expect(chooseLoginRoute(desktop, { appid: OA }, true)).toEqual({ kind: 'follow', appid: OA });
    expect(chooseLoginRoute(undefined, { appid: OA }, false)).toEqual({ kind: 'open-in-wechat', appid: OA });
  });
});

describe('asIssuer', () => {
  it("gives oidc-provider the issuer's path, host and scheme, whatever the request said", () => {
    const req = {
      url: '/oidc/token?x=1',
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' },
    };
    asIssuer(req as unknown as IncomingMessage, new URL('https://login.example.com/wx/oidc'));
    expect(req).toMatchObject({
      url: '/token?x=1',
      originalUrl: '/wx/oidc/token?x=1',
      headers: { 'x-forwarded-host': 'login.example.com', 'x-forwarded-proto': 'https' },
    });
  });
});

describe('client secrets and metadata', () => {
  it('compares a hashed secret by its SHA-256, and a plain one as is', () => {
    const secret = 'a'.repeat(43);
    expect(secretMatches(`${HASHED_SECRET_PREFIX}${hashKeySecret(secret)}`, secret)).toBe(true);
    expect(secretMatches(`${HASHED_SECRET_PREFIX}${hashKeySecret(secret)}`, `${secret}b`)).toBe(false);
    expect(secretMatches(secret, secret)).toBe(true);
    expect(secretMatches(secret, 'b'.repeat(43))).toBe(false);
  });
  it('makes a public client without a secret, a confidential one with basic auth, code flow only', () => {
    const base = {
      client_id: 'c',
      redirect_uris: ['https://a.example.com/cb'],
      post_logout_redirect_uris: [],
      appid: OA,
      pairwise: false,
    };
    expect(clientMetadata(base)).toMatchObject({
      token_endpoint_auth_method: 'none',
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      subject_type: 'public',
      appid: OA,
    });
    expect(
      clientMetadata({ ...base, client_secret: 'x'.repeat(32), websiteAppid: SITE, pairwise: true }),
    ).toMatchObject({
      client_secret: 'x'.repeat(32),
      token_endpoint_auth_method: 'client_secret_basic',
      subject_type: 'pairwise',
      website_appid: SITE,
    });
  });
});

describe('claimsFor', () => {
  it("gives the client's account openid, unionid, follow state and the newest profile", async () => {
    const database = openDatabase('memory:');
    try {
      const login = (appid: string, openid: string, at: number, extra: object = {}) =>
        database.identities.bind({
          appid,
          openid,
          unionid: 'u1',
          scope: 'snsapi_userinfo',
          subscribe: null,
          sealedWebToken: null,
          webTokenExpiresAt: null,
          sealedRefreshToken: null,
          refreshTokenExpiresAt: null,
          at,
          ...extra,
        });
      const { user } = await login(OA, 'o-oa', 1000, { nickname: 'Old', subscribe: 1 });
      await login(SITE, 'o-site', 2000, { nickname: 'New', headimgurl: 'https://wx.qlogo.cn/a/132' });
      expect(await claimsFor(database, user.id, { appid: OA, websiteAppid: SITE })).toEqual({
        sub: user.id,
        openid: 'o-oa',
        unionid: 'u1',
        is_follower: true,
        nickname: 'New',
        picture: 'https://wx.qlogo.cn/a/132',
      });
      // The record findAccount has just read gives the same claims without reading the user again.
      const read = vi.spyOn(database.users, 'get');
      expect(await claimsFor(database, user, { appid: OA, websiteAppid: SITE })).toMatchObject({
        sub: user.id,
        openid: 'o-oa',
        unionid: 'u1',
      });
      expect(read).not.toHaveBeenCalled();
      read.mockRestore();
      // Another account: no openid there, not a follower.
      expect(await claimsFor(database, user.id, { appid: 'wx99999999999999ff' })).toEqual({
        sub: user.id,
        unionid: 'u1',
        is_follower: false,
      });
      // A follower sync after the login that did not list them: no longer a follower.
      const other = {
        appid: OA,
        openid: 'o-other',
        unionid: null,
        subscribeTime: null,
        subscribeScene: null,
      };
      await database.followers.upsert([{ ...other, syncedAt: 5000 }]);
      expect((await claimsFor(database, user.id, { appid: OA }))?.is_follower).toBe(false);
      // Listed by a sync (or a follow event): a follower.
      await database.followers.upsert([{ ...other, openid: 'o-oa', syncedAt: 6000 }]);
      expect((await claimsFor(database, user.id, { appid: OA }))?.is_follower).toBe(true);
      expect(await claimsFor(database, 'nobody', { appid: OA })).toBeNull();
    } finally {
      await database.close();
    }
  });
});
