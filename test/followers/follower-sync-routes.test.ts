import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthFixture, oauthFixture } from '../oauth/support/oauth-fixture.js';

const USER_GET = '/cgi-bin/user/get';

describe('/v1/admin/accounts/:appid/followers/sync (scope admin)', () => {
  let t: OAuthFixture;
  let adminKey: string;
  let tokenKey: string;
  let url: string;

  beforeAll(async () => {
    t = await oauthFixture();
    await t.sim.control('POST', '/__sim/accounts', {
      appid: t.shop.appid,
      users: Array.from({ length: 7 }, () => ({ subscribe: 1 })),
    });
    adminKey = (await t.hub.services.keys.create({ name: 'ops', appids: [], scopes: ['admin'] })).key;
    tokenKey = await t.key(['token', 'oauth']);
    url = `/v1/admin/accounts/${t.shop.appid}/followers/sync`;
  });
  afterEach(() => t.sim.clearFaults());
  afterAll(() => t?.close());

  const post = (key: string | null, query = '') =>
    t.hub.app.inject({
      method: 'POST',
      url: `${url}${query}`,
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });

  it('refuses a request without a key (401) and a key without the admin scope (403), syncing nothing', async () => {
    const before = await t.sim.calls(t.shop.appid, USER_GET);
    const none = await post(null);
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('WXHUB_ERR_UNAUTHORIZED');
    const notAdmin = await post(tokenKey);
    expect(notAdmin.statusCode).toBe(403);
    expect(notAdmin.json().error.code).toBe('WXHUB_ERR_FORBIDDEN');
    const status = await t.hub.app.inject({ url, headers: { authorization: `Bearer ${tokenKey}` } });
    expect(status.statusCode).toBe(403);
    expect(await t.sim.calls(t.shop.appid, USER_GET)).toBe(before);
  });

  it('syncs against WeChat (the simulator) and answers the outcome when it ends within ?wait', async () => {
    const before = await t.sim.calls(t.shop.appid, USER_GET);
    const res = await post(adminKey, '?wait=30');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      appid: t.shop.appid,
      running: false,
      last: { ok: true, trigger: 'manual', total: 7, synced: 7, removed: 0 },
      interval_seconds: 86_400,
      user_get_daily_limit: 500,
    });
    expect(body.last.finished_at).toBe(Math.floor(t.clock.now() / 1000));
    expect(body.last_synced_at).toBe(body.last.finished_at);
    expect(body.user_get_today).toBe(1);
    expect(await t.sim.calls(t.shop.appid, USER_GET)).toBe(before + 1);
    expect((await t.hub.database.followers.list(t.shop.appid)).total).toBe(7);
  });

  it("answers 202 at once while the sync runs, and puts WeChat's errcode in the body when it fails", async () => {
    await t.sim.fault({
      path: USER_GET,
      appid: t.shop.appid,
      rate: 1,
      errcode: 45009,
      delayMs: 300,
      count: 1,
    });
    const started = await post(adminKey);
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ running: true, trigger: 'manual' });
    // Asking again joins the running sync; wait for its end.
    const ended = await post(adminKey, '?wait=30');
    expect(ended.statusCode).toBe(200);
    expect(ended.json().last).toMatchObject({ ok: false, errcode: 45009 });
    expect(ended.json().last.errmsg).toMatch(/quota/);
    const status = await t.hub.app.inject({ url, headers: { authorization: `Bearer ${adminKey}` } });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ running: false, last: { ok: false, errcode: 45009 } });
  });

  it('refuses a bad wait (400) and an account the hub does not serve (404)', async () => {
    const bad = await post(adminKey, '?wait=61');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('wait');
    const unknown = await t.hub.app.inject({
      method: 'POST',
      url: '/v1/admin/accounts/wxnotours0000000/followers/sync',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('WXHUB_ERR_UNKNOWN_ACCOUNT');
  });
});
