import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type OAuthFixture, oauthFixture, SHOP_RETURN } from './support/oauth-fixture.js';

describe('GET /oauth/:appid/login', () => {
  let t: OAuthFixture;
  beforeAll(async () => {
    t = await oauthFixture();
  });
  afterAll(() => t?.close());

  it("302s to WeChat's authorize URL in WeChat's parameter order, redirect_uri from the request origin", async () => {
    const { res, authorize, state } = await t.startLogin(t.shop.appid);
    expect(state).toMatch(/^[A-Za-z0-9]{32}$/);
    const redirectUri = encodeURIComponent(`http://localhost:80/oauth/${t.shop.appid}/callback`);
    expect(authorize).toBe(
      `${t.sim.url}/connect/oauth2/authorize?appid=${t.shop.appid}&redirect_uri=${redirectUri}` +
        `&response_type=code&scope=snsapi_userinfo&state=${state}#wechat_redirect`,
    );
    expect(res.headers['cache-control']).toBe('no-store');
    // The simulator (strict about order and domain) accepts it: a consent page, not an error page.
    const page = await fetch(authorize);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-sim-errcode')).toBeNull();
    expect(await page.text()).toContain('允许');
  });

  it('sets the state in an HttpOnly, SameSite=Lax cookie scoped to the account', async () => {
    const { res, state } = await t.startLogin(t.shop.appid);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`wxhub_oauth_state=${state};`);
    expect(cookie).toContain(`Path=/oauth/${t.shop.appid}/`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Max-Age=600');
    expect(cookie).not.toContain('Secure');
    // A second login in the same browser keeps the first in flight (two tabs).
    const second = await t.startLogin(t.shop.appid, SHOP_RETURN, undefined, `wxhub_oauth_state=${state}`);
    expect(second.cookie).toBe(`wxhub_oauth_state=${state}.${second.state}`);
  });

  it("uses the account's defaultScope, or the scope asked for", async () => {
    expect((await t.startLogin(t.shop.appid)).authorize).toContain('scope=snsapi_userinfo&');
    expect((await t.startLogin(t.shop.appid, SHOP_RETURN, 'snsapi_base')).authorize).toContain(
      'scope=snsapi_base&',
    );
    const news = await t.startLogin(t.news.appid, 'https://news.example.com/');
    expect(news.authorize).toContain('scope=snsapi_base&');
  });

  it('builds redirect_uri from publicUrl when set (and marks the cookie Secure for https)', async () => {
    const other = await t.hub.app.inject({
      url: t.loginUrl(t.shop.appid, SHOP_RETURN),
      headers: { host: 'hub.internal:8080' },
    });
    expect(other.headers.location).toContain(
      `redirect_uri=${encodeURIComponent(`http://hub.internal:8080/oauth/${t.shop.appid}/callback`)}`,
    );
    const behindProxy = await oauthFixture({ config: { publicUrl: 'https://login.example.com/' } });
    try {
      const res = await behindProxy.inject(behindProxy.loginUrl(behindProxy.shop.appid, SHOP_RETURN));
      expect(res.headers.location).toContain(
        `redirect_uri=${encodeURIComponent(`https://login.example.com/oauth/${behindProxy.shop.appid}/callback`)}`,
      );
      expect(String(res.headers['set-cookie'])).toContain('Secure');
    } finally {
      await behindProxy.close();
    }
  });

  it('allows return_to under a path prefix, on a segment boundary only', async () => {
    await t.startLogin(t.shop.appid, 'https://app.example.com/account/orders?id=7');
    const res = await t.inject(t.loginUrl(t.shop.appid, 'https://app.example.com/accounting'));
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_OAUTH_RETURN_TO');
  });

  it('answers 400 with a page saying why for a return_to outside the allowlist, without a state', async () => {
    for (const bad of [
      'https://evil.example.com/',
      'https://shop.example.com@evil.example.com/',
      '//evil.example.com/',
      'https:\\\\evil.example.com',
      'https://news.example.com/',
    ]) {
      const res = await t.inject(t.loginUrl(t.shop.appid, bad));
      expect(res.statusCode, bad).toBe(400);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_OAUTH_RETURN_TO');
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers.location).toBeUndefined();
      expect(res.body).toContain('WXHUB_ERR_OAUTH_RETURN_TO');
      expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    }
    const missing = await t.inject(`/oauth/${t.shop.appid}/login`);
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('return_to is required');
    const twice = await t.inject(
      `/oauth/${t.shop.appid}/login?return_to=${encodeURIComponent(SHOP_RETURN)}&return_to=https%3A%2F%2Fevil.com`,
    );
    expect(twice.statusCode).toBe(400);
    expect(twice.body).toContain('return_to must be given once');
  });

  it('answers JSON errors to JSON callers', async () => {
    const res = await t.inject({
      url: t.loginUrl(t.shop.appid, 'https://evil.example.com/x'),
      headers: { accept: 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        code: 'WXHUB_ERR_OAUTH_RETURN_TO',
        message:
          "return_to is not in the allowed list: https://evil.example.com/x is not in this account's oauth.returnTo",
      },
    });
  });

  it('keeps only well-formed states of the browser’s cookie, so nothing else is written back', async () => {
    const { state, cookie } = await t.startLogin(
      t.shop.appid,
      SHOP_RETURN,
      undefined,
      'wxhub_oauth_state=bad"value.<x>.Good0123',
    );
    expect(cookie).toBe(`wxhub_oauth_state=Good0123.${state}`);
  });

  it('refuses a bad scope (400) and an unknown appid (404), storing nothing', async () => {
    const stored = vi.spyOn(t.hub.store, 'putOnce');
    const scope = await t.inject(t.loginUrl(t.shop.appid, SHOP_RETURN, 'snsapi_login'));
    expect(stored).not.toHaveBeenCalled();
    stored.mockRestore();
    expect(scope.statusCode).toBe(400);
    expect(scope.headers['x-wxhub-error']).toBe('WXHUB_ERR_INVALID_ARGUMENT');
    expect(scope.body).toContain('This login link is not valid');
    expect(scope.body).toContain('scope must be snsapi_base or snsapi_userinfo');
    const unknown = await t.inject(t.loginUrl('wxnotconfigured000', SHOP_RETURN));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['x-wxhub-error']).toBe('WXHUB_ERR_UNKNOWN_ACCOUNT');
    const unknownCallback = await t.inject('/oauth/wxnotconfigured000/callback?code=x&state=abc');
    expect(unknownCallback.statusCode).toBe(404);
  });

  it('refuses a forged Host header instead of putting it in redirect_uri', async () => {
    const res = await t.hub.app.inject({
      url: t.loginUrl(t.shop.appid, SHOP_RETURN),
      headers: { host: 'evil.com/"><script>' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers.location).toBeUndefined();
  });
});
