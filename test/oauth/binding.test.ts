import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../src/db/index.js';
import { dropPostgresSchema, randomId } from '../store/helpers.js';
import { serviceUrl } from '../support/services.js';
import { type OAuthFixture, oauthFixture } from './support/oauth-fixture.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('binding identities to users at login', () => {
  let t: OAuthFixture;
  let key: string;

  beforeAll(async () => {
    t = await oauthFixture();
    key = await t.key();
  });
  afterAll(() => t?.close());

  it('a first login creates a user: the redeem body has the DESIGN shape, is_new true', async () => {
    const person = await t.sim.user(t.shop.appid, { nickname: '张伟', subscribe: 1 });
    const { outcome } = await t.login(t.shop.appid, person.openid, key);
    expect(outcome).toEqual({
      user: {
        id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        unionid: person.unionid,
        created_at: expect.stringMatching(ISO),
      },
      identity: {
        appid: t.shop.appid,
        openid: person.openid,
        unionid: person.unionid,
        nickname: '张伟',
        headimgurl: expect.stringContaining('/mmopen/'),
        subscribe: 1,
        first_login_at: outcome.user.created_at,
        last_login_at: outcome.user.created_at,
      },
      is_new: true,
    });
    const stored = await t.hub.database.identities.get(t.shop.appid, person.openid);
    expect(stored).toMatchObject({ userId: outcome.user.id, nickname: '张伟', scope: 'snsapi_userinfo' });
    expect(await t.hub.database.users.get(outcome.user.id)).toMatchObject({ unionid: person.unionid });
  });

  it('the same identity again logs in the same user: is_new false, last_login_at moves, first stays', async () => {
    const person = await t.sim.user(t.shop.appid, {});
    const first = (await t.login(t.shop.appid, person.openid, key)).outcome;
    t.clock.advance(90_000);
    const second = (await t.login(t.shop.appid, person.openid, key)).outcome;
    expect(second.is_new).toBe(false);
    expect(second.user).toEqual(first.user);
    expect(second.identity.first_login_at).toBe(first.identity.first_login_at);
    expect(Date.parse(second.identity.last_login_at) - Date.parse(first.identity.last_login_at)).toBe(90_000);
  });

  it('the same person on a second appid (same unionid) joins the user (the UnionID mechanism)', async () => {
    const shopUser = await t.sim.user(t.shop.appid, { nickname: 'Li' });
    const newsUser = await t.sim.user(t.news.appid, { nickname: 'Li', unionid: shopUser.unionid });
    expect(newsUser.openid).not.toBe(shopUser.openid);
    const shop = (await t.login(t.shop.appid, shopUser.openid, key)).outcome;
    const news = (
      await t.login(t.news.appid, newsUser.openid, key, 'snsapi_base', 'https://news.example.com/')
    ).outcome;
    expect(news.is_new).toBe(false);
    expect(news.user.id).toBe(shop.user.id);
    expect(news.identity).toMatchObject({
      appid: t.news.appid,
      openid: newsUser.openid,
      unionid: shopUser.unionid,
    });
    const identities = await t.hub.database.identities.listByUser(shop.user.id);
    // listByUser promises no order (two logins can share a millisecond): compare the sets.
    expect(identities.map((i) => i.appid).sort()).toEqual([t.shop.appid, t.news.appid].sort());
  });

  it('concurrent first logins with one unionid on both appids end in one user', async () => {
    for (let round = 0; round < 3; round++) {
      const a = await t.sim.user(t.shop.appid, {});
      const b = await t.sim.user(t.news.appid, { unionid: a.unionid });
      const [x, y] = await Promise.all([
        t.login(t.shop.appid, a.openid, key),
        t.login(t.news.appid, b.openid, key, 'snsapi_base', 'https://news.example.com/'),
      ]);
      expect(x.outcome.user.id).toBe(y.outcome.user.id);
      expect([x.outcome.is_new, y.outcome.is_new].sort()).toEqual([false, true]);
      expect((await t.hub.database.users.getByUnionid(a.unionid!))?.id).toBe(x.outcome.user.id);
    }
  });

  it('a snapshot-page user is never bound: user null, is_snapshotuser 1, nothing stored', async () => {
    const started = await t.startLogin(t.shop.appid);
    const back = await t.callback(await t.consent(started.authorize, { snapshot: true }), started.cookie);
    const res = await t.redeem(t.ticketOf(back), key);
    expect(res.statusCode).toBe(200);
    const outcome = res.json();
    expect(outcome).toEqual({
      user: null,
      identity: {
        appid: t.shop.appid,
        openid: expect.stringMatching(/^o/),
        subscribe: 0,
        first_login_at: expect.stringMatching(ISO),
        last_login_at: expect.stringMatching(ISO),
        is_snapshotuser: 1,
      },
      is_new: false,
    });
    expect(await t.hub.database.identities.get(t.shop.appid, outcome.identity.openid)).toBeNull();
  });
});

const pgUrl = serviceUrl('postgres');
if (pgUrl) {
  describe('binding on PostgreSQL', () => {
    const schema = `wxhub_oauthtest_${randomId()}`;
    let db: PostgresDatabase;
    let t: OAuthFixture;
    let key: string;

    beforeAll(async () => {
      db = new PostgresDatabase({ url: pgUrl, schema });
      t = await oauthFixture({ database: db });
      key = await t.key();
    });
    afterAll(async () => {
      await t?.close();
      await db?.close();
      await dropPostgresSchema(pgUrl, schema);
    });

    it('many people logging in on both appids at once: one user per unionid', async () => {
      const people = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const a = await t.sim.user(t.shop.appid, {});
          const b = await t.sim.user(t.news.appid, { unionid: a.unionid });
          return { a, b };
        }),
      );
      const outcomes = await Promise.all(
        people.flatMap(({ a, b }) => [
          t.login(t.shop.appid, a.openid, key),
          t.login(t.news.appid, b.openid, key, 'snsapi_base', 'https://news.example.com/'),
        ]),
      );
      for (let i = 0; i < people.length; i++) {
        const [x, y] = [outcomes[2 * i]!.outcome, outcomes[2 * i + 1]!.outcome];
        expect(x.user.id).toBe(y.user.id);
        expect([x.is_new, y.is_new].sort()).toEqual([false, true]);
        expect(await db.identities.listByUser(x.user.id)).toHaveLength(2);
      }
    });
  });
}
