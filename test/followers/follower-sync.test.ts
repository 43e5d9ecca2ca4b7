import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FollowerSync, type SyncOutcome } from '../../src/followers/index.js';
import { type OAuthFixture, oauthFixture } from '../oauth/support/oauth-fixture.js';

const HOUR = 3600_000;
const USER_GET = '/cgi-bin/user/get';

describe('FollowerSync (on demand, on a schedule, across a fleet)', () => {
  let t: OAuthFixture;
  const made: FollowerSync[] = [];
  /** Another FollowerSync on the same hub services: what a second hub of the fleet would run. */
  const syncer = (options: { intervalSeconds?: number; retryAfterFailureMs?: number } = {}) => {
    const sync = new FollowerSync({ services: t.hub.services, intervalSeconds: 86_400, ...options });
    made.push(sync);
    return sync;
  };

  beforeAll(async () => {
    t = await oauthFixture();
    await t.sim.control('POST', '/__sim/accounts', {
      appid: t.shop.appid,
      users: Array.from({ length: 12 }, () => ({ subscribe: 1 })),
    });
    await t.sim.control('POST', '/__sim/accounts', {
      appid: t.news.appid,
      users: Array.from({ length: 5 }, () => ({ subscribe: 1 })),
    });
  });
  afterEach(async () => {
    await t.sim.clearFaults();
    for (const sync of made.splice(0)) await sync.close();
  });
  afterAll(() => t?.close());

  const calls = (appid: string) => t.sim.calls(appid, USER_GET);

  it('syncs on demand through the token engine; a second request joins the running sync', async () => {
    const sync = syncer();
    await t.sim.fault({ path: USER_GET, appid: t.shop.appid, rate: 1, delayMs: 200, count: 1 });
    const before = await calls(t.shop.appid);
    const first = sync.run(t.shop.appid);
    const second = sync.run(t.shop.appid);
    expect(second).toBe(first);
    expect((await sync.status(t.shop.appid)).running).toMatchObject({ trigger: 'manual' });
    const outcome = await first;
    expect(outcome).toMatchObject({ ok: true, trigger: 'manual', total: 12, synced: 12, removed: 0 });
    expect(await calls(t.shop.appid)).toBe(before + 1);
    const status = await sync.status(t.shop.appid);
    expect(status).toMatchObject({
      appid: t.shop.appid,
      running: null,
      last: outcome,
      lastSyncedAt: outcome.finishedAt,
      intervalSeconds: 86_400,
      userGetDailyLimit: 500,
    });
    expect(status.userGetToday).toBeGreaterThanOrEqual(1);
    expect((await t.hub.database.followers.list(t.shop.appid)).total).toBe(12);
  });

  it('counts its user/get calls per Beijing day, fleet-wide (in the store), against WeChat’s 500', async () => {
    const one = syncer();
    const other = syncer();
    const before = (await one.status(t.news.appid)).userGetToday!;
    await one.run(t.news.appid);
    await other.run(t.news.appid);
    expect((await one.status(t.news.appid)).userGetToday).toBe(before + 2);
  });

  it('reports WeChat’s errcode when a sync fails, and removes nothing', async () => {
    const sync = syncer();
    await t.sim.fault({ path: USER_GET, appid: t.shop.appid, rate: 1, errcode: 45009, count: 1 });
    const outcome = await sync.run(t.shop.appid);
    expect(outcome).toMatchObject({ ok: false, errcode: 45009 });
    expect((outcome as Extract<SyncOutcome, { ok: false }>).message).toMatch(/quota/);
    expect((await sync.status(t.shop.appid)).last).toEqual(outcome);
    expect((await t.hub.database.followers.list(t.shop.appid)).total).toBe(12);
  });

  it('never holds up the hub’s other requests while it runs', async () => {
    const sync = syncer();
    const key = await t.key(['token']);
    await t.sim.fault({ path: USER_GET, appid: t.shop.appid, rate: 1, delayMs: 400, count: 1 });
    let settled = false;
    const running = sync.run(t.shop.appid).finally(() => {
      settled = true;
    });
    const res = await t.hub.app.inject({
      url: `/v1/accounts/${t.shop.appid}/access-token`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.statusCode).toBe(200);
    expect(settled).toBe(false);
    expect((await running).ok).toBe(true);
  });

  it('writes the followers a few hundred rows at a time (a 10,000-row write holds SQLite ~100 ms)', async () => {
    await t.sim.control('POST', '/__sim/accounts', {
      appid: t.news.appid,
      users: Array.from({ length: 1_000 }, () => ({ subscribe: 1 })),
    });
    const followers = t.hub.database.followers;
    const upsert = followers.upsert.bind(followers);
    const writes: number[] = [];
    followers.upsert = async (rows) => {
      writes.push(rows.length);
      return upsert(rows);
    };
    try {
      const outcome = await syncer().run(t.news.appid);
      expect(outcome).toMatchObject({ ok: true });
      expect(writes.reduce((a, b) => a + b, 0)).toBe((outcome as { synced: number }).synced);
      expect((outcome as { synced: number }).synced).toBeGreaterThan(1_000);
      expect(Math.max(...writes)).toBeLessThanOrEqual(400);
    } finally {
      followers.upsert = upsert;
    }
  });

  it('on a schedule: once per interval per account, fleet-wide, driven by the (virtual) clock', async () => {
    const hubA = syncer({ intervalSeconds: 6 * 3600 });
    const hubB = syncer({ intervalSeconds: 6 * 3600 });
    // Gates left by other tests' hubs live a day: start past them.
    t.clock.advance(25 * HOUR);
    const [shop0, news0] = [await calls(t.shop.appid), await calls(t.news.appid)];
    await hubA.tick();
    expect([await calls(t.shop.appid), await calls(t.news.appid)]).toEqual([shop0 + 1, news0 + 1]);
    expect((await hubA.status(t.shop.appid)).last).toMatchObject({ ok: true, trigger: 'schedule' });
    // Within the interval: neither this hub nor another one of the fleet syncs again.
    await hubA.tick();
    await hubB.tick();
    t.clock.advance(6 * HOUR - 1000);
    await hubB.tick();
    expect([await calls(t.shop.appid), await calls(t.news.appid)]).toEqual([shop0 + 1, news0 + 1]);
    // The interval is over: whichever hub looks first syncs, once.
    t.clock.advance(1000);
    await Promise.all([hubB.tick(), hubA.tick()]);
    expect([await calls(t.shop.appid), await calls(t.news.appid)]).toEqual([shop0 + 2, news0 + 2]);
  });

  it('after a failed scheduled sync, tries again an hour later rather than a whole interval', async () => {
    const sync = syncer({ intervalSeconds: 6 * 3600 });
    t.clock.advance(7 * HOUR);
    await t.sim.fault({ path: USER_GET, appid: t.shop.appid, rate: 1, errcode: -1, count: 1 });
    const before = await calls(t.shop.appid);
    await sync.tick();
    expect((await sync.status(t.shop.appid)).last).toMatchObject({ ok: false, errcode: -1 });
    t.clock.advance(HOUR - 1000);
    await sync.tick();
    expect(await calls(t.shop.appid)).toBe(before + 1);
    t.clock.advance(1000);
    await sync.tick();
    expect(await calls(t.shop.appid)).toBe(before + 2);
    expect((await sync.status(t.shop.appid)).last).toMatchObject({ ok: true, trigger: 'schedule' });
  });

  it('a second hub asked to sync while one is syncing says so, and does nothing', async () => {
    const hubA = syncer();
    const hubB = syncer();
    await t.sim.fault({ path: USER_GET, appid: t.shop.appid, rate: 1, delayMs: 300, count: 1 });
    const before = await calls(t.shop.appid);
    const first = hubA.run(t.shop.appid);
    const second = await hubB.run(t.shop.appid);
    expect(second).toMatchObject({ ok: false, busy: true });
    expect((await first).ok).toBe(true);
    expect(await calls(t.shop.appid)).toBe(before + 1);
    // The lease is released when the sync ends: the other hub may sync now.
    expect((await hubB.run(t.shop.appid)).ok).toBe(true);
  });

  it('runs its schedule on a timer from start(), and not at all with an interval of 0', async () => {
    const off = syncer({ intervalSeconds: 0 });
    off.start(5);
    expect(off.scheduled).toBe(false);
    const before = await calls(t.shop.appid);
    await off.tick();
    expect(await calls(t.shop.appid)).toBe(before);

    const sync = syncer({ intervalSeconds: 600 });
    t.clock.advance(25 * HOUR);
    const synced = once(sync, 'sync');
    sync.start(20);
    expect(sync.scheduled).toBe(true);
    const [appid, outcome] = (await synced) as [string, SyncOutcome];
    expect(outcome).toMatchObject({ ok: true, trigger: 'schedule' });
    expect([t.shop.appid, t.news.appid]).toContain(appid);
  });

  it('close() stops a running sync between WeChat calls; it removes nothing', async () => {
    const sync = syncer();
    await t.sim.fault({ path: USER_GET, appid: t.shop.appid, rate: 1, delayMs: 200, count: 1 });
    const running = sync.run(t.shop.appid);
    await sync.close();
    expect(await running).toMatchObject({ ok: false, message: 'stopped: the hub is closing' });
    expect((await t.hub.database.followers.list(t.shop.appid)).total).toBe(12);
    sync.start(5);
    expect(sync.scheduled).toBe(false);
  });

  it('refuses an appid the hub does not serve', async () => {
    await expect(syncer().run('wxnotconfigured000')).rejects.toThrow(/Unknown appid/);
  });
});
