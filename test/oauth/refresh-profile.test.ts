import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { refreshProfile, TokenCipher, tokenContext } from '../../src/oauth/index.js';
import { type OAuthFixture, oauthFixture } from './support/oauth-fixture.js';

const DAY = 24 * 3600;

describe('refreshProfile', () => {
  let t: OAuthFixture;
  let key: string;

  beforeAll(async () => {
    t = await oauthFixture();
    key = await t.key();
  });
  afterAll(() => t?.close());

  const person = async (nickname: string) => {
    const user = await t.sim.user(t.shop.appid, { nickname });
    await t.login(t.shop.appid, user.openid, key);
    return user.openid;
  };
  const rename = (openid: string, nickname: string) => t.sim.user(t.shop.appid, { openid, nickname });
  const calls = async () => {
    const stats = (await t.sim.stats()).byAppid[t.shop.appid] ?? {};
    return {
      auth: stats['/sns/auth'] ?? 0,
      refresh: stats['/sns/oauth2/refresh_token'] ?? 0,
      userinfo: stats['/sns/userinfo'] ?? 0,
    };
  };
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e,
    );

  it('with a live web token: checks it with /sns/auth, then reads /sns/userinfo', async () => {
    const openid = await person('Old');
    await rename(openid, 'New');
    const before = await calls();
    const updated = await refreshProfile(t.hub.services, t.shop.appid, openid);
    expect(updated.nickname).toBe('New');
    expect(await t.hub.database.identities.get(t.shop.appid, openid)).toEqual(updated);
    expect(await calls()).toEqual({
      auth: before.auth + 1,
      refresh: before.refresh,
      userinfo: before.userinfo + 1,
    });
  });

  it('with a web token WeChat calls dead: renews it with the refresh_token and keeps the new one sealed', async () => {
    const openid = await person('Dead');
    const sealed = (await t.hub.database.identities.get(t.shop.appid, openid))!.sealedWebToken;
    await t.sim.advance(7300); // WeChat's clock: the web token expired (42001); ours has not noticed
    await rename(openid, 'Renewed');
    const before = await calls();
    const updated = await refreshProfile(t.hub.services, t.shop.appid, openid);
    expect(updated.nickname).toBe('Renewed');
    expect(updated.sealedWebToken).not.toBe(sealed);
    expect(updated.webTokenExpiresAt).toBe(t.clock.now() + 7200_000);
    expect(await calls()).toEqual({
      auth: before.auth + 1,
      refresh: before.refresh + 1,
      userinfo: before.userinfo + 1,
    });
    // The renewed token is live: the next refresh only checks it.
    const next = await calls();
    await refreshProfile(t.hub.services, t.shop.appid, openid);
    expect((await calls()).refresh).toBe(next.refresh);
  });

  it('with a web token past its expiry by our clock: renews without asking /sns/auth', async () => {
    const openid = await person('Late');
    t.clock.advance(7200_000);
    await t.sim.advance(7200);
    const before = await calls();
    await refreshProfile(t.hub.services, t.shop.appid, openid);
    expect(await calls()).toEqual({
      auth: before.auth,
      refresh: before.refresh + 1,
      userinfo: before.userinfo + 1,
    });
  });

  it('an expired or refused refresh_token means log in again, and the kept tokens are cleared', async () => {
    const refused = await person('Refused');
    const expired = await person('Expired');
    await t.sim.advance(31 * DAY); // WeChat refuses the refresh_token (42002)
    const err = await failure(refreshProfile(t.hub.services, t.shop.appid, refused));
    expect(isWxhubError(err, 'WXHUB_ERR_OAUTH_LOGIN_REQUIRED')).toBe(true);
    expect((err as Error).message).toContain('42002');
    expect(await t.hub.database.identities.get(t.shop.appid, refused)).toMatchObject({
      sealedWebToken: null,
      sealedRefreshToken: null,
      nickname: 'Refused',
    });
    t.clock.advance(31 * DAY * 1000); // our clock: the refresh_token is past its 30 days
    const before = await calls();
    const late = await failure(refreshProfile(t.hub.services, t.shop.appid, expired));
    expect(isWxhubError(late, 'WXHUB_ERR_OAUTH_LOGIN_REQUIRED')).toBe(true);
    expect(await calls()).toEqual(before);
    // After a new login it works again.
    await t.login(t.shop.appid, expired, key);
    await rename(expired, 'Back');
    expect((await refreshProfile(t.hub.services, t.shop.appid, expired)).nickname).toBe('Back');
  });

  it('tokens sealed with another key cannot be opened: log in again', async () => {
    const openid = await person('OtherKey');
    const other = new TokenCipher(randomBytes(32));
    await t.hub.database.identities.update(t.shop.appid, openid, {
      sealedWebToken: other.seal('x', tokenContext('web', t.shop.appid, openid)),
      sealedRefreshToken: other.seal('y', tokenContext('refresh', t.shop.appid, openid)),
    });
    const err = await failure(refreshProfile(t.hub.services, t.shop.appid, openid));
    expect(isWxhubError(err, 'WXHUB_ERR_OAUTH_LOGIN_REQUIRED')).toBe(true);
  });

  it('refuses a snsapi_base identity, an unknown identity and an unknown account', async () => {
    const user = await t.sim.user(t.news.appid, {});
    await t.login(t.news.appid, user.openid, key, 'snsapi_base', 'https://news.example.com/');
    const base = await failure(refreshProfile(t.hub.services, t.news.appid, user.openid));
    expect(isWxhubError(base, 'WXHUB_ERR_OAUTH_LOGIN_REQUIRED')).toBe(true);
    expect((base as Error).message).toContain('snsapi_base');
    const unknown = await failure(refreshProfile(t.hub.services, t.shop.appid, 'o-nobody'));
    expect(isWxhubError(unknown, 'WXHUB_ERR_NOT_FOUND')).toBe(true);
    const account = await failure(refreshProfile(t.hub.services, 'wxnotconfigured000', 'o1'));
    expect(isWxhubError(account, 'WXHUB_ERR_UNKNOWN_ACCOUNT')).toBe(true);
  });
});
