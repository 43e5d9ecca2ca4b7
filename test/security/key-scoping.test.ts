import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type SecurityWorld, securityWorld } from './support/security-world.js';

/**
 * Client key scoping on every route family: /v1, drop-in token, the proxy (key as access_token,
 * key as the /sns code-exchange secret), ticket redeem and the dashboard. A refusal must never
 * cost an upstream call for the account the key was not given.
 */
describe('client key scoping', () => {
  let w: SecurityWorld;
  let shopTicket: () => Promise<string>;

  beforeAll(async () => {
    w = await securityWorld({ level: 'warn' });
    const openid = (await w.sim.user(w.shop.appid, { nickname: 'Carol' })).openid;
    shopTicket = async () => {
      const started = await w.inject({
        url: `/oauth/${w.shop.appid}/login?return_to=${encodeURIComponent('https://shop.example.com/')}`,
      });
      const res = await fetch(String(started.headers.location), {
        headers: { 'x-sim-user': openid },
        redirect: 'manual',
      });
      const back = new URL(String(res.headers.get('location')));
      const cb = await w.inject({ url: back.pathname + back.search });
      expect(cb.statusCode, cb.body).toBe(302);
      return new URL(String(cb.headers.location)).searchParams.get('wxhub_ticket')!;
    };
  });
  afterAll(async () => {
    await w?.close();
  });

  /** Upstream calls naming `appid` (token fetches carry it; proxied calls carry a token). */
  const upstreamFor = (appid: string) => w.spy.seen.filter((r) => r.url.includes(appid)).length;

  async function everyFamily(key: string, appid: string) {
    const v1 = `/v1/accounts/${appid}`;
    const auth = bearer(key);
    return {
      v1Token: await w.inject({ url: `${v1}/access-token`, headers: auth }),
      v1Refresh: await w.inject({
        method: 'POST',
        url: `${v1}/access-token/refresh`,
        headers: auth,
        payload: { stale_token: 'x'.repeat(120) },
      }),
      v1Ticket: await w.inject({ url: `${v1}/jsapi-ticket`, headers: auth }),
      v1Signature: await w.inject({
        method: 'POST',
        url: `${v1}/jsapi-signature`,
        headers: auth,
        payload: { url: 'https://shop.example.com/' },
      }),
      dropInToken: await w.inject({
        url: `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${key}`,
      }),
      proxyQuery: await w.inject({ url: `/cgi-bin/user/get?access_token=${key}&appid=${appid}` }),
      proxyHeader: await w.inject({
        url: `/cgi-bin/user/get?access_token=${key}`,
        headers: { 'x-wxhub-appid': appid },
      }),
      snsExchange: await w.inject({
        url: `/sns/oauth2/access_token?appid=${appid}&secret=${key}&code=abc&grant_type=authorization_code`,
      }),
    };
  }

  it('an appid the key lacks is refused on every route family, without an upstream call', async () => {
    const key = await w.key(['token', 'refresh', 'proxy', 'oauth'], [w.shop.appid]);
    const before = upstreamFor(w.news.appid);
    const r = await everyFamily(key, w.news.appid);
    for (const name of ['v1Token', 'v1Refresh', 'v1Ticket', 'v1Signature'] as const) {
      expect(r[name].statusCode, name).toBe(403);
      expect(r[name].json().error.code, name).toBe('WXHUB_ERR_FORBIDDEN');
    }
    expect(r.dropInToken.json()).toMatchObject({ errcode: 40125 });
    expect(r.snsExchange.json()).toMatchObject({ errcode: 40125 });
    for (const name of ['proxyQuery', 'proxyHeader'] as const) {
      // WeChat's status (200) and WeChat's 40001, as real SDKs expect; the hub's reason in a header.
      expect(r[name].statusCode, name).toBe(200);
      expect(r[name].json().errcode, name).toBe(40001);
      expect(r[name].headers['x-wxhub-error'], name).toBe('WXHUB_ERR_FORBIDDEN');
      expect(r[name].body, name).not.toContain('openid');
    }
    for (const name of ['dropInToken', 'snsExchange'] as const) {
      expect(r[name].statusCode, name).toBe(200);
      expect(r[name].headers['x-wxhub-error'], name).toBe('WXHUB_ERR_FORBIDDEN');
    }
    expect(upstreamFor(w.news.appid)).toBe(before);
    // The same key for its own appid works (the refusals above are about the appid).
    expect(
      (await w.inject({ url: `/v1/accounts/${w.shop.appid}/access-token`, headers: bearer(key) })).statusCode,
    ).toBe(200);
  });

  it("redeeming another appid's ticket is 403, and the ticket stays redeemable", async () => {
    const newsOauth = await w.key(['oauth'], [w.news.appid]);
    const ticket = await shopTicket();
    const wrong = await w.inject({
      method: 'POST',
      url: '/v1/oauth/tickets/redeem',
      headers: bearer(newsOauth),
      payload: { ticket },
    });
    expect(wrong.statusCode).toBe(403);
    const right = await w.inject({
      method: 'POST',
      url: '/v1/oauth/tickets/redeem',
      headers: bearer(w.oauthKey),
      payload: { ticket },
    });
    expect(right.statusCode, right.body).toBe(200);
  });

  it('a scope the key lacks is refused', async () => {
    const tokenOnly = await w.key(['token'], [w.shop.appid]);
    const proxyOnly = await w.key(['proxy'], [w.shop.appid]);
    const v1 = `/v1/accounts/${w.shop.appid}`;
    const refresh = await w.inject({
      method: 'POST',
      url: `${v1}/access-token/refresh`,
      headers: bearer(tokenOnly),
      payload: { stale_token: 'x'.repeat(120) },
    });
    expect(refresh.statusCode).toBe(403);
    expect((await w.inject({ url: `${v1}/access-token`, headers: bearer(proxyOnly) })).statusCode).toBe(403);
    expect(
      (
        await w.inject({
          url: `/cgi-bin/token?grant_type=client_credential&appid=${w.shop.appid}&secret=${proxyOnly}`,
        })
      ).json(),
    ).toMatchObject({ errcode: 40125 });
    const asToken = await w.inject({ url: `/cgi-bin/user/get?access_token=${tokenOnly}` });
    expect(asToken.statusCode).toBe(200);
    expect(asToken.json()).toMatchObject({ errcode: 40001 });
    expect(asToken.headers['x-wxhub-error']).toBe('WXHUB_ERR_FORBIDDEN');
    expect(
      (
        await w.inject({
          method: 'POST',
          url: '/v1/oauth/tickets/redeem',
          headers: bearer(tokenOnly),
          payload: { ticket: 'a'.repeat(43) },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await w.inject({
          url: `/sns/oauth2/access_token?appid=${w.shop.appid}&secret=${tokenOnly}&code=abc&grant_type=authorization_code`,
        })
      ).json(),
    ).toMatchObject({ errcode: 40125 });
    // Not an admin key: the dashboard refuses it.
    const admin = await w.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `key=${tokenOnly}`,
    });
    expect(admin.statusCode).toBe(401);
  });

  it('a revoked key is refused everywhere, stand-ins it obtained and dashboard sessions included', async () => {
    const key = await w.key(['token', 'refresh', 'proxy', 'oauth'], [w.shop.appid]);
    const admin = await w.key(['admin'], []);
    const dropIn = await w.inject({
      url: `/cgi-bin/token?grant_type=client_credential&appid=${w.shop.appid}&secret=${key}`,
    });
    const standIn = dropIn.json().access_token as string;
    // Twice: the second call, from a stand-in and key known to this hub, takes the fast lane.
    const lane = w.laneAnswers();
    for (let i = 0; i < 2; i++)
      expect((await w.inject({ url: `/cgi-bin/user/get?access_token=${standIn}` })).statusCode).toBe(200);
    expect(w.laneAnswers()).toBe(lane + 1);
    const login = await w.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `key=${admin}`,
    });
    expect(login.statusCode).toBe(303);
    const cookie = String(login.headers['set-cookie']).split(';', 1)[0]!;
    expect((await w.inject({ url: '/admin', headers: { cookie } })).statusCode).toBe(200);
    const ticket = await shopTicket();

    expect(await w.hub.services.keys.revoke(key)).toBe(true);
    expect(await w.hub.services.keys.revoke(admin)).toBe(true);
    const before = w.spy.seen.length;

    const r = await everyFamily(key, w.shop.appid);
    for (const name of ['v1Token', 'v1Refresh', 'v1Ticket', 'v1Signature'] as const) {
      expect(r[name].statusCode, name).toBe(401);
    }
    expect(r.dropInToken.json()).toMatchObject({ errcode: 40125 });
    expect(r.snsExchange.json()).toMatchObject({ errcode: 40125 });
    expect(r.proxyQuery.json()).toMatchObject({ errcode: 40001 });
    expect(r.proxyHeader.json()).toMatchObject({ errcode: 40001 });
    const viaStandIn = await w.inject({ url: `/cgi-bin/user/get?access_token=${standIn}` });
    expect(viaStandIn.statusCode).toBe(200);
    expect(viaStandIn.json()).toMatchObject({ errcode: 40001 });
    expect(viaStandIn.headers['x-wxhub-error']).toBe('WXHUB_ERR_UNAUTHORIZED');
    const redeem = await w.inject({
      method: 'POST',
      url: '/v1/oauth/tickets/redeem',
      headers: bearer(key),
      payload: { ticket },
    });
    expect(redeem.statusCode).toBe(401);
    expect(w.spy.seen.length).toBe(before);

    expect((await w.inject({ url: '/admin', headers: { cookie } })).statusCode).toBe(401);
    const again = await w.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `key=${admin}`,
    });
    expect(again.statusCode).toBe(401);
  });
});
