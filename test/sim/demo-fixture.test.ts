import { describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, DEMO_FIXTURE, fixtureSchema } from '../../src/sim/index.js';
import { makeSim } from './support/sim.js';

describe('demo fixture', () => {
  it('is a valid fixture of two unionBound accounts with localhost OAuth domains', () => {
    expect(fixtureSchema.safeParse(DEMO_FIXTURE).success).toBe(true);
    expect(DEMO_FIXTURE.accounts.map((a) => a.appid)).toEqual(DEMO_ACCOUNTS.map((a) => a.appid));
    for (const account of DEMO_FIXTURE.accounts) {
      expect(account.unionBound).toBe(true);
      expect(account.oauthDomains).toEqual(['127.0.0.1', 'localhost']);
      expect(account.users!.length).toBeGreaterThanOrEqual(15);
    }
  });

  it('has people in both accounts with one unionid and two openids', () => {
    const [shop, news] = DEMO_FIXTURE.accounts;
    const byUnion = new Map(shop!.users!.map((u) => [u.unionid, u.openid]));
    const shared = news!.users!.filter((u) => byUnion.has(u.unionid));
    expect(shared.length).toBeGreaterThanOrEqual(5);
    for (const user of shared) expect(byUnion.get(user.unionid)).not.toBe(user.openid);
  });

  it('mixes followers and non-followers, scenes, Chinese and English nicknames', () => {
    const users = DEMO_FIXTURE.accounts.flatMap((a) => a.users!);
    expect(users.length).toBeGreaterThanOrEqual(30);
    expect(users.some((u) => u.subscribe === 0)).toBe(true);
    expect(users.filter((u) => u.subscribe === 1).length).toBeGreaterThan(users.length / 2);
    expect(new Set(users.map((u) => u.subscribeScene)).size).toBeGreaterThanOrEqual(10);
    expect(users.some((u) => /[\u4e00-\u9fff]/.test(u.nickname!))).toBe(true);
    expect(users.some((u) => /^[A-Za-z ]+$/.test(u.nickname!))).toBe(true);
    expect(users.every((u) => u.headimgurl === undefined)).toBe(true);
  });

  it('is the same on every load (seeded ids) and works end to end', async () => {
    const sim = makeSim(DEMO_FIXTURE);
    const [shop] = DEMO_ACCOUNTS;
    const token = await sim.token(shop!.appid, shop!.secret);
    const list = await sim.getJson('/cgi-bin/user/get', { access_token: token });
    expect(list.data.openid[0]).toBe(DEMO_FIXTURE.accounts[0]!.users![0]!.openid);
    expect(list.data.openid[0]).toBe('oQlTsTCs2NukZLDcWUMheWK5rqOn');
  });
});
