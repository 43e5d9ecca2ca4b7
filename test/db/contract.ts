import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AccountRecord,
  ClientKeyRecord,
  Database,
  FollowerChange,
  LoginInput,
} from '../../src/db/index.js';
import { isWxhubError } from '../../src/errors/index.js';

const record = (overrides: Partial<ClientKeyRecord> = {}): ClientKeyRecord => ({
  id: randomBytes(8).toString('hex'),
  name: 'shop backend',
  secretHash: randomBytes(32).toString('hex'),
  appids: ['wx1', 'wx2'],
  scopes: ['token', 'refresh'],
  rateLimit: null,
  createdAt: 1_700_000_000_000,
  revokedAt: null,
  ...overrides,
});

const accountRecord = (overrides: Partial<AccountRecord> = {}): AccountRecord => ({
  appid: `wx${randomBytes(8).toString('hex')}`,
  kind: 'official',
  name: null,
  sealedSecret: `v1.0a1b2c3d.${randomBytes(48).toString('base64url')}`,
  sealedCallback: null,
  tokenMode: 'stable',
  enabled: true,
  returnTo: ['https://shop.example.com'],
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  version: 1,
  ...overrides,
});

const rnd = () => randomBytes(6).toString('hex');
const login = (overrides: Partial<LoginInput> = {}): LoginInput => ({
  appid: `wx${rnd()}`,
  openid: `o${rnd()}`,
  unionid: null,
  scope: 'snsapi_userinfo',
  nickname: '小明',
  headimgurl: 'https://thirdwx.qlogo.cn/mmopen/x/132',
  subscribe: 1,
  sealedWebToken: 'v1.k.sealed-web',
  webTokenExpiresAt: 1_700_007_200_000,
  sealedRefreshToken: 'v1.k.sealed-refresh',
  refreshTokenExpiresAt: 1_702_592_000_000,
  at: 1_700_000_000_000,
  ...overrides,
});

/**
 * What every Database backend keeps. `shared`: a second `open()` sees the same data (a second
 * hub on the same file or schema); false for the memory backend.
 */
export function describeDatabaseContract(
  name: string,
  open: () => Database,
  options: { shared: boolean },
): void {
  describe(`${name}: Database contract`, () => {
    let a: Database;
    let b: Database;

    beforeAll(() => {
      a = open();
      b = options.shared ? open() : a;
    });
    afterAll(async () => {
      await a?.close();
      if (b !== a) await b?.close();
    });

    it('answers ping', async () => {
      await expect(a.ping()).resolves.toBeUndefined();
    });

    describe('client keys', () => {
      it('stores and reads back every field', async () => {
        const r = record({ rateLimit: { perSecond: 2.5, burst: 5 }, scopes: ['proxy', 'oauth', 'admin'] });
        await a.keys.insert(r);
        expect(await b.keys.get(r.id)).toEqual(r);
        expect(await a.keys.get('0000000000000000')).toBeNull();
      });

      it('refuses a second key with the same id', async () => {
        const r = record();
        await a.keys.insert(r);
        const err = await b.keys.insert({ ...r, name: 'other' }).catch((e: unknown) => e);
        expect(isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')).toBe(true);
        expect((await a.keys.get(r.id))?.name).toBe('shop backend');
      });

      it('refuses malformed records, naming the field', async () => {
        await expect(a.keys.insert(record({ secretHash: 'plain-secret' }))).rejects.toThrow(/secretHash/);
        await expect(a.keys.insert(record({ scopes: ['root' as 'token'] }))).rejects.toThrow(/scopes/);
        await expect(a.keys.insert(record({ id: 'has_underscore' }))).rejects.toThrow(/id/);
      });

      it('lists oldest first, revoked keys included', async () => {
        const older = record({ createdAt: 1_000 });
        const newer = record({ createdAt: 2_000 });
        await a.keys.insert(newer);
        await a.keys.insert(older);
        const ids = (await b.keys.list()).map((k) => k.id);
        expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id));
        expect(ids.indexOf(older.id)).toBeGreaterThanOrEqual(0);
      });

      it('revokes an active key once', async () => {
        const r = record();
        await a.keys.insert(r);
        expect(await b.keys.revoke(r.id, 1_800_000_000_000)).toBe(true);
        expect(await a.keys.revoke(r.id, 1_900_000_000_000)).toBe(false);
        expect(await a.keys.revoke('ffffffffffffffff', 1)).toBe(false);
        expect((await a.keys.get(r.id))?.revokedAt).toBe(1_800_000_000_000);
      });
    });

    describe('settings', () => {
      const name = (what: string) => `test.${what}.${randomBytes(4).toString('hex')}`;

      it('putIfAbsent: the first writer decides, every later one reads its value', async () => {
        const n = name('first');
        expect(await a.settings.get(n)).toBeNull();
        expect(await a.settings.putIfAbsent(n, 'one')).toBe('one');
        expect(await b.settings.putIfAbsent(n, 'two')).toBe('one');
        expect(await b.settings.get(n)).toBe('one');
      });

      it('putIfAbsent from many callers at once stores one value', async () => {
        const n = name('race');
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).settings.putIfAbsent(n, `v${i}`)),
        );
        expect(new Set(results).size).toBe(1);
        expect(await a.settings.get(n)).toBe(results[0]);
      });

      it('compareAndSet replaces only the expected value', async () => {
        const n = name('cas');
        expect(await a.settings.compareAndSet(n, 'x', 'y')).toBe(false);
        await a.settings.putIfAbsent(n, 'v1');
        expect(await b.settings.compareAndSet(n, 'v0', 'v2')).toBe(false);
        expect(await b.settings.compareAndSet(n, 'v1', 'v2')).toBe(true);
        expect(await a.settings.get(n)).toBe('v2');
      });

      it('refuses bad names', async () => {
        await expect(a.settings.get('has space')).rejects.toThrow(/setting name/);
      });
    });

    describe('users and identities', () => {
      it('a first login creates a user and an identity with every field', async () => {
        const l = login({ unionid: `u${rnd()}` });
        const bound = await a.identities.bind(l);
        expect(bound.isNew).toBe(true);
        expect(bound.user).toEqual({
          id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
          unionid: l.unionid,
          createdAt: l.at,
        });
        const expected = {
          appid: l.appid,
          openid: l.openid,
          userId: bound.user.id,
          unionid: l.unionid,
          nickname: '小明',
          headimgurl: l.headimgurl,
          subscribe: 1,
          scope: 'snsapi_userinfo',
          firstLoginAt: l.at,
          lastLoginAt: l.at,
          sealedWebToken: 'v1.k.sealed-web',
          webTokenExpiresAt: l.webTokenExpiresAt,
          sealedRefreshToken: 'v1.k.sealed-refresh',
          refreshTokenExpiresAt: l.refreshTokenExpiresAt,
        };
        expect(bound.identity).toEqual(expected);
        expect(await b.identities.get(l.appid, l.openid)).toEqual(expected);
        expect(await b.users.get(bound.user.id)).toEqual(bound.user);
        expect(await b.users.getByUnionid(l.unionid!)).toEqual(bound.user);
        expect(await a.users.get('nobody')).toBeNull();
        expect(await a.identities.get(l.appid, 'o-unknown')).toBeNull();
      });

      it('the same identity again keeps its user; what this login learnt wins, the rest stays', async () => {
        const first = login();
        const { user } = await a.identities.bind(first);
        const again = await b.identities.bind({
          ...first,
          scope: 'snsapi_base',
          nickname: undefined,
          headimgurl: undefined,
          subscribe: null,
          sealedWebToken: 'v1.k.second',
          at: first.at + 60_000,
        });
        expect(again.isNew).toBe(false);
        expect(again.user.id).toBe(user.id);
        expect(again.identity).toMatchObject({
          nickname: '小明',
          headimgurl: first.headimgurl,
          subscribe: 1,
          scope: 'snsapi_base',
          firstLoginAt: first.at,
          lastLoginAt: first.at + 60_000,
          sealedWebToken: 'v1.k.second',
        });
        const third = await a.identities.bind({
          ...first,
          nickname: 'New',
          subscribe: 0,
          at: first.at + 120_000,
        });
        expect(third.identity).toMatchObject({
          nickname: 'New',
          subscribe: 0,
          lastLoginAt: first.at + 120_000,
        });
        expect(await b.identities.get(first.appid, first.openid)).toEqual(third.identity);
      });

      it('a new identity whose unionid is known joins that user (the UnionID mechanism)', async () => {
        const unionid = `u${rnd()}`;
        const shop = await a.identities.bind(login({ unionid }));
        const news = await b.identities.bind(login({ unionid, at: 1_700_000_100_000 }));
        expect(news.isNew).toBe(false);
        expect(news.user.id).toBe(shop.user.id);
        const all = await a.identities.listByUser(shop.user.id);
        expect(all.map((i) => i.appid)).toEqual([shop.identity.appid, news.identity.appid]);
        const stranger = await a.identities.bind(login({ unionid: `u${rnd()}` }));
        expect(stranger.user.id).not.toBe(shop.user.id);
      });

      it('a user first seen without unionid takes it on a later login, and other appids then join', async () => {
        const first = login({ unionid: null });
        const bound = await a.identities.bind(first);
        expect(bound.user.unionid).toBeNull();
        const unionid = `u${rnd()}`;
        const again = await a.identities.bind({ ...first, unionid, at: first.at + 1 });
        expect(again.user).toEqual({ ...bound.user, unionid });
        expect((await b.users.getByUnionid(unionid))?.id).toBe(bound.user.id);
        const other = await b.identities.bind(login({ unionid }));
        expect(other.user.id).toBe(bound.user.id);
      });

      it('concurrent first logins with one unionid end in one user', async () => {
        const unionid = `u${rnd()}`;
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).identities.bind(login({ unionid }))),
        );
        expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
        expect(results.filter((r) => r.isNew)).toHaveLength(1);
        expect(await a.identities.listByUser(results[0]!.user.id)).toHaveLength(10);
      });

      it('concurrent first logins of one identity end in one identity and one user', async () => {
        const l = login({ unionid: null });
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).identities.bind({ ...l, at: l.at + i })),
        );
        expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
        expect(results.filter((r) => r.isNew)).toHaveLength(1);
        expect((await a.identities.get(l.appid, l.openid))?.lastLoginAt).toBe(l.at + 5);
      });

      it("lists an account's identities, latest login first, a page at a time", async () => {
        const appid = `wx${rnd()}`;
        for (let i = 0; i < 5; i++) await a.identities.bind(login({ appid, openid: `o${i}`, at: 1_000 + i }));
        await a.identities.bind(login({ openid: 'o-elsewhere' }));
        const page = await b.identities.list(appid, { limit: 2, offset: 1 });
        expect(page.total).toBe(5);
        expect(page.rows.map((r) => r.openid)).toEqual(['o3', 'o2']);
        expect((await b.identities.list(appid)).rows).toHaveLength(5);
        await expect(a.identities.list(appid, { limit: 0 })).rejects.toThrow(/limit/);
      });

      it('updates chosen fields of an identity', async () => {
        const l = login();
        await a.identities.bind(l);
        const updated = await b.identities.update(l.appid, l.openid, {
          nickname: 'Renamed',
          sealedWebToken: null,
          webTokenExpiresAt: null,
        });
        expect(updated).toMatchObject({ nickname: 'Renamed', sealedWebToken: null, webTokenExpiresAt: null });
        expect(await a.identities.get(l.appid, l.openid)).toEqual(updated);
        expect(await a.identities.update(l.appid, 'o-unknown', { nickname: 'x' })).toBeNull();
        await expect(
          a.identities.update(l.appid, l.openid, { userId: 'x' } as unknown as { nickname: string }),
        ).rejects.toThrow(/patch.userId/);
      });

      it('refuses malformed logins, naming the field', async () => {
        await expect(a.identities.bind(login({ scope: 'snsapi_all' as 'snsapi_base' }))).rejects.toThrow(
          /scope/,
        );
        await expect(a.identities.bind(login({ openid: '' }))).rejects.toThrow(/openid/);
        await expect(a.identities.bind(login({ subscribe: 2 as 1 }))).rejects.toThrow(/subscribe/);
        await expect(a.identities.bind(login({ at: 1.5 }))).rejects.toThrow(/at must/);
      });
    });

    describe('followers', () => {
      const follower = (appid: string, openid: string, subscribeTime: number | null, syncedAt = 10) => ({
        appid,
        openid,
        unionid: null,
        subscribeTime,
        subscribeScene: 'ADD_SCENE_QR_CODE',
        syncedAt,
      });

      it('upserts, reads back, and lists joined with profiles captured at login', async () => {
        const appid = `wx${rnd()}`;
        await a.followers.upsert([
          follower(appid, 'oA', 3_000),
          follower(appid, 'oB', 1_000),
          follower(appid, 'oC', null),
          { ...follower(appid, 'oD', 2_000), unionid: 'uD' },
        ]);
        await a.followers.upsert([follower(`wx${rnd()}`, 'oA', 9_000)]);
        await b.identities.bind(login({ appid, openid: 'oB', unionid: 'uB', nickname: 'Bee', at: 5_000 }));
        expect(await b.followers.get(appid, 'oD')).toEqual({
          ...follower(appid, 'oD', 2_000),
          unionid: 'uD',
          qrScene: null,
          subscribe: 1,
          eventTime: null,
          eventAt: null,
        });
        expect(await b.followers.get(appid, 'oZ')).toBeNull();
        const page = await b.followers.list(appid);
        expect(page.total).toBe(4);
        expect(page.rows).toEqual([
          {
            openid: 'oA',
            unionid: null,
            subscribeTime: 3_000,
            nickname: null,
            headimgurl: null,
            lastLoginAt: null,
          },
          {
            openid: 'oD',
            unionid: 'uD',
            subscribeTime: 2_000,
            nickname: null,
            headimgurl: null,
            lastLoginAt: null,
          },
          {
            openid: 'oB',
            unionid: 'uB',
            subscribeTime: 1_000,
            nickname: 'Bee',
            headimgurl: 'https://thirdwx.qlogo.cn/mmopen/x/132',
            lastLoginAt: 5_000,
          },
          {
            openid: 'oC',
            unionid: null,
            subscribeTime: null,
            nickname: null,
            headimgurl: null,
            lastLoginAt: null,
          },
        ]);
        const second = await a.followers.list(appid, { limit: 2, offset: 2 });
        expect(second.rows.map((r) => r.openid)).toEqual(['oB', 'oC']);
        expect(second.total).toBe(4);
      });

      it('a later sync replaces rows and marks unfollowed (row kept) those it did not see', async () => {
        const appid = `wx${rnd()}`;
        expect(await a.followers.lastSyncedAt(appid)).toBeNull();
        await a.followers.upsert([
          follower(appid, 'o1', 1, 10),
          follower(appid, 'o2', 2, 10),
          follower(appid, 'o3', 3, 10),
        ]);
        await b.followers.upsert([follower(appid, 'o1', 7, 20), follower(appid, 'o3', 3, 20)]);
        expect(await a.followers.lastSyncedAt(appid)).toBe(20);
        expect(await a.followers.removeStale(appid, 20)).toBe(1);
        expect(await b.followers.removeStale(appid, 20)).toBe(0);
        const rows = (await a.followers.list(appid)).rows;
        expect(rows.map((r) => [r.openid, r.subscribeTime])).toEqual([
          ['o1', 7],
          ['o3', 3],
        ]);
        expect(await b.followers.state(appid, 'o2')).toMatchObject({
          subscribe: 0,
          subscribeTime: 2,
          syncedAt: 10,
        });
        // `get` answers followers only: an unfollowed row is "not a follower", as before.
        expect(await b.followers.get(appid, 'o2')).toBeNull();
        expect(await b.followers.get(appid, 'o1')).toMatchObject({ subscribe: 1, subscribeTime: 7 });
        expect((await b.followers.list(appid)).total).toBe(2);
        // Seen following again by a later sync: back in the list; a null unionid keeps the known one.
        await a.followers.upsert([{ ...follower(appid, 'o1', 7, 25), unionid: 'u1' }]);
        await a.followers.upsert([follower(appid, 'o2', 30, 30), follower(appid, 'o1', 7, 30)]);
        expect(await b.followers.state(appid, 'o2')).toMatchObject({ subscribe: 1, subscribeTime: 30 });
        expect(await b.followers.state(appid, 'o1')).toMatchObject({ unionid: 'u1' });
      });

      const change = (
        appid: string,
        openid: string,
        subscribe: 0 | 1,
        eventTime: number | null,
        at: number,
        extra: Partial<FollowerChange> = {},
      ): FollowerChange => ({ appid, openid, subscribe, eventTime, at, ...extra });

      it('applies live changes: a new openid gets a row, an older push loses, a newer (or same-time) one wins', async () => {
        const appid = `wx${rnd()}`;
        const follow = { time: 5_000, scene: 'ADD_SCENE_QR_CODE', qrScene: 'shop-7' };
        expect(await a.followers.apply(change(appid, 'oL', 1, 5_000, 100, { follow }))).toBe(true);
        expect(await b.followers.state(appid, 'oL')).toEqual({
          appid,
          openid: 'oL',
          unionid: null,
          subscribeTime: 5_000,
          subscribeScene: 'ADD_SCENE_QR_CODE',
          qrScene: 'shop-7',
          syncedAt: 0,
          subscribe: 1,
          eventTime: 5_000,
          eventAt: 100,
        });
        // Only live rows: no sync has run.
        expect(await b.followers.lastSyncedAt(appid)).toBeNull();
        expect((await b.followers.list(appid)).rows.map((r) => r.openid)).toEqual(['oL']);
        // An unfollow pushed earlier but arriving late changes nothing.
        expect(await b.followers.apply(change(appid, 'oL', 0, 4_000, 101))).toBe(false);
        expect(await a.followers.state(appid, 'oL')).toMatchObject({ subscribe: 1, eventTime: 5_000 });
        // The unfollow after it: subscribe 0, follow time and scene kept, row kept, out of the list.
        expect(await b.followers.apply(change(appid, 'oL', 0, 5_000, 102, { unionid: 'uL' }))).toBe(true);
        expect(await a.followers.state(appid, 'oL')).toMatchObject({
          subscribe: 0,
          subscribeTime: 5_000,
          qrScene: 'shop-7',
          unionid: 'uL',
          eventAt: 102,
        });
        expect((await a.followers.list(appid)).total).toBe(0);
        expect((await a.followers.page(appid)).rows).toEqual([]);
        // A re-follow without a QR code: a new time, the old scene cleared; a null unionid keeps it.
        const plain = { time: 9_000, scene: null, qrScene: null };
        expect(
          await a.followers.apply(change(appid, 'oL', 1, 9_000, 103, { follow: plain, unionid: null })),
        ).toBe(true);
        expect(await b.followers.state(appid, 'oL')).toMatchObject({
          subscribe: 1,
          subscribeTime: 9_000,
          subscribeScene: null,
          qrScene: null,
          unionid: 'uL',
        });
      });

      it('an API answer (eventTime null) is written only for an openid never seen', async () => {
        const appid = `wx${rnd()}`;
        expect(await a.followers.apply(change(appid, 'oN', 0, null, 50))).toBe(true);
        expect(await b.followers.state(appid, 'oN')).toMatchObject({
          subscribe: 0,
          eventTime: null,
          eventAt: 50,
        });
        expect(await b.followers.apply(change(appid, 'oN', 1, null, 60))).toBe(false);
        expect(await a.followers.state(appid, 'oN')).toMatchObject({ subscribe: 0, eventAt: 50 });
        // Any push wins over it.
        expect(await a.followers.apply(change(appid, 'oN', 1, 1, 70))).toBe(true);
        expect(await b.followers.state(appid, 'oN')).toMatchObject({ subscribe: 1, eventTime: 1 });
      });

      it('a sync never undoes a live change made after it started', async () => {
        const appid = `wx${rnd()}`;
        await a.followers.upsert([follower(appid, 'oKeep', 1, 10), follower(appid, 'oGone', 2, 10)]);
        // Pushed after the sync at 100 began: a new follower, an unfollow, a follow of someone
        // the sync's snapshot still called unfollowed.
        await a.followers.apply(
          change(appid, 'oNew', 1, 150_000, 150, { follow: { time: 150_000, scene: null, qrScene: null } }),
        );
        await a.followers.apply(change(appid, 'oKeep', 0, 151_000, 151));
        await a.followers.apply(change(appid, 'oLive', 1, 99_000, 99)); // before the sync: it decides
        await b.followers.upsert([follower(appid, 'oKeep', 1, 100)]);
        expect(await b.followers.removeStale(appid, 100)).toBe(2); // oGone and oLive
        expect(await a.followers.state(appid, 'oNew')).toMatchObject({ subscribe: 1 });
        expect(await a.followers.state(appid, 'oKeep')).toMatchObject({ subscribe: 0, syncedAt: 10 });
        expect(await a.followers.state(appid, 'oGone')).toMatchObject({ subscribe: 0 });
        expect(await a.followers.state(appid, 'oLive')).toMatchObject({ subscribe: 0 });
        expect(await a.followers.lastSyncedAt(appid)).toBe(10);
        // The next sync, started after those pushes, decides again.
        await b.followers.upsert([follower(appid, 'oKeep', 1, 200)]);
        expect(await b.followers.removeStale(appid, 200)).toBe(1); // oNew
        expect(await a.followers.state(appid, 'oKeep')).toMatchObject({ subscribe: 1, syncedAt: 200 });
        expect((await a.followers.list(appid)).rows.map((r) => r.openid)).toEqual(['oKeep']);
      });

      it('pages current followers by cursor: latest first, unknown times last, each once', async () => {
        const appid = `wx${rnd()}`;
        await a.followers.upsert([
          follower(appid, 'o5', 5_000),
          follower(appid, 'o4b', 4_000),
          follower(appid, 'o4a', 4_000),
          follower(appid, 'oNullB', null),
          follower(appid, 'oNullA', null),
          follower(appid, 'o3', 3_000),
          follower(appid, 'o1', 1_000),
        ]);
        await a.followers.apply(change(appid, 'o3', 0, 3_500, 20));
        await b.identities.bind(login({ appid, openid: 'o4b', nickname: 'Four', at: 6_000 }));
        const seen: string[] = [];
        let first = await b.followers.page(appid, { limit: 2 });
        expect(first.rows.map((r) => r.openid)).toEqual(['o5', 'o4a']);
        expect(first.next).toEqual({ subscribeTime: 4_000, openid: 'o4a' });
        seen.push(...first.rows.map((r) => r.openid));
        // A follow arriving mid-walk sorts first: no page shifts.
        await a.followers.apply(
          change(appid, 'oNew', 1, 9_000, 30, { follow: { time: 9_000, scene: null, qrScene: null } }),
        );
        let after = first.next;
        while (after) {
          first = await b.followers.page(appid, { after, limit: 2 });
          seen.push(...first.rows.map((r) => r.openid));
          after = first.next;
        }
        expect(seen).toEqual(['o5', 'o4a', 'o4b', 'o1', 'oNullA', 'oNullB']);
        const all = await a.followers.page(appid, { limit: 1000 });
        expect(all.next).toBeNull();
        expect(all.rows.map((r) => r.openid)).toEqual(['oNew', ...seen]);
        expect(all.rows.find((r) => r.openid === 'o4b')).toMatchObject({
          nickname: 'Four',
          lastLoginAt: 6_000,
        });
        // Exactly a page left: no cursor after it.
        expect(
          (await a.followers.page(appid, { after: { subscribeTime: 1_000, openid: 'o1' }, limit: 2 })).next,
        ).toBeNull();
        expect((await a.followers.page(appid)).rows).toHaveLength(7);
        await expect(a.followers.page(appid, { limit: 0 })).rejects.toThrow(/limit/);
        await expect(a.followers.page(appid, { limit: 1001 })).rejects.toThrow(/limit/);
        await expect(
          a.followers.page(appid, { after: { subscribeTime: 1.5, openid: 'o1' } }),
        ).rejects.toThrow(/subscribeTime/);
        await expect(a.followers.page(appid, { after: { subscribeTime: null, openid: '' } })).rejects.toThrow(
          /openid/,
        );
      });

      it('upserts thousands of followers at once', async () => {
        const appid = `wx${rnd()}`;
        const many = Array.from({ length: 2500 }, (_, i) =>
          follower(appid, `o${String(i).padStart(5, '0')}`, i),
        );
        await a.followers.upsert(many);
        expect((await b.followers.list(appid, { limit: 1 })).total).toBe(2500);
      });

      it('refuses malformed followers and changes', async () => {
        await expect(a.followers.upsert([{ ...follower('wx1', 'o1', 1), syncedAt: -0.5 }])).rejects.toThrow(
          /syncedAt/,
        );
        await expect(a.followers.apply(change('wx1', 'o1', 2 as 1, 1, 1))).rejects.toThrow(/subscribe/);
        await expect(a.followers.apply(change('wx1', '', 1, 1, 1))).rejects.toThrow(/openid/);
        await expect(a.followers.apply(change('wx1', 'o1', 1, 1.5, 1))).rejects.toThrow(/eventTime/);
        await expect(
          a.followers.apply(
            change('wx1', 'o1', 1, 1, 1, { follow: { time: 1, scene: 'x'.repeat(65), qrScene: null } }),
          ),
        ).rejects.toThrow(/follow.scene/);
      });
    });

    describe('runtime accounts', () => {
      it('stores and reads back every field, on the other connection too', async () => {
        const r = accountRecord({
          kind: 'website',
          name: '官网 login',
          tokenMode: 'classic',
          enabled: false,
        });
        await a.accounts.insert(r);
        expect(await b.accounts.get(r.appid)).toEqual(r);
        expect(await a.accounts.get('wx0000000000000000')).toBeNull();
      });

      it('refuses a second account with the same appid', async () => {
        const r = accountRecord();
        await a.accounts.insert(r);
        const err = await b.accounts.insert({ ...r, name: 'other' }).catch((e: unknown) => e);
        expect(isWxhubError(err, 'WXHUB_ERR_ACCOUNT_EXISTS')).toBe(true);
        expect((await a.accounts.get(r.appid))?.name).toBeNull();
      });

      it('refuses malformed records and a plaintext secret, naming the field', async () => {
        await expect(a.accounts.insert(accountRecord({ appid: 'wx123' }))).rejects.toThrow(/appid/);
        await expect(
          a.accounts.insert(accountRecord({ sealedSecret: '0123456789abcdef0123456789abcdef' })),
        ).rejects.toThrow(/sealedSecret/);
        await expect(a.accounts.insert(accountRecord({ tokenMode: 'fast' as 'stable' }))).rejects.toThrow(
          /tokenMode/,
        );
        await expect(a.accounts.insert(accountRecord({ version: 7 }))).rejects.toThrow(/version/);
      });

      it('updates the fields a patch names, bumping the version each time', async () => {
        const r = accountRecord({ name: 'shop' });
        await a.accounts.insert(r);
        const sealed = `v1.0a1b2c3d.${randomBytes(48).toString('base64url')}`;
        const first = await b.accounts.update(r.appid, { sealedSecret: sealed }, 1_800_000_000_000);
        expect(first).toEqual({ ...r, sealedSecret: sealed, updatedAt: 1_800_000_000_000, version: 2 });
        const second = await a.accounts.update(
          r.appid,
          { enabled: false, name: null, tokenMode: 'classic', returnTo: [] },
          1_800_000_000_001,
        );
        expect(second).toMatchObject({
          enabled: false,
          name: null,
          tokenMode: 'classic',
          returnTo: [],
          version: 3,
        });
        expect(second?.sealedSecret).toBe(sealed);
        expect(await b.accounts.get(r.appid)).toEqual(second);
        expect(await a.accounts.update('wxffffffffffffffff', { enabled: true }, 1)).toBeNull();
        await expect(a.accounts.update(r.appid, { sealedSecret: 'plain' }, 1)).rejects.toThrow(
          /sealedSecret/,
        );
      });

      it('sets, keeps and clears the sealed callback; never a plaintext one', async () => {
        const sealed = `v1.0a1b2c3d.${randomBytes(60).toString('base64url')}`;
        const r = accountRecord({ sealedCallback: sealed });
        await a.accounts.insert(r);
        expect(await b.accounts.get(r.appid)).toEqual(r);
        const kept = await b.accounts.update(r.appid, { enabled: false }, 1_800_000_000_000);
        expect(kept?.sealedCallback).toBe(sealed);
        const cleared = await a.accounts.update(r.appid, { sealedCallback: null }, 1_800_000_000_001);
        expect(cleared).toMatchObject({ sealedCallback: null, enabled: false, version: 3 });
        expect(await b.accounts.get(r.appid)).toEqual(cleared);
        await expect(a.accounts.update(r.appid, { sealedCallback: '{"token":"Tok123"}' }, 1)).rejects.toThrow(
          /sealedCallback/,
        );
        await expect(a.accounts.insert(accountRecord({ sealedCallback: 'Tok123' }))).rejects.toThrow(
          /sealedCallback/,
        );
      });

      it('lists oldest first and deletes once', async () => {
        const older = accountRecord({ createdAt: 1_000, updatedAt: 1_000 });
        const newer = accountRecord({ createdAt: 2_000, updatedAt: 2_000 });
        await a.accounts.insert(newer);
        await a.accounts.insert(older);
        const appids = (await b.accounts.list()).map((r) => r.appid);
        expect(appids.indexOf(older.appid)).toBeGreaterThanOrEqual(0);
        expect(appids.indexOf(older.appid)).toBeLessThan(appids.indexOf(newer.appid));
        expect(await b.accounts.delete(older.appid)).toBe(true);
        expect(await a.accounts.delete(older.appid)).toBe(false);
        expect(await a.accounts.get(older.appid)).toBeNull();
      });
    });

    it('after close, calls fail with WXHUB_ERR_DATABASE_UNAVAILABLE', async () => {
      const db = options.shared ? open() : open();
      await db.close();
      const err = await db.keys.get('0000000000000000').catch((e: unknown) => e);
      expect(isWxhubError(err, 'WXHUB_ERR_DATABASE_UNAVAILABLE')).toBe(true);
      const bindErr = await db.identities.bind(login()).catch((e: unknown) => e);
      expect(isWxhubError(bindErr, 'WXHUB_ERR_DATABASE_UNAVAILABLE')).toBe(true);
      const listErr = await db.followers.list('wx1').catch((e: unknown) => e);
      expect(isWxhubError(listErr, 'WXHUB_ERR_DATABASE_UNAVAILABLE')).toBe(true);
      const accountErr = await db.accounts.list().catch((e: unknown) => e);
      expect(isWxhubError(accountErr, 'WXHUB_ERR_DATABASE_UNAVAILABLE')).toBe(true);
      await expect(db.ping()).rejects.toThrow(/closed/);
      await db.close();
    });
  });
}
