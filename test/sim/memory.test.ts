import { describe, expect, it } from 'vitest';
import { ExpiringMap } from '../../src/sim/state/expiring-map.js';
import { codeFor } from './support/oauth.js';
import { ALICE, APPID, makeSim, SECRET, twoAccounts } from './support/sim.js';

describe('memory stays bounded', () => {
  it('ExpiringMap drops entries after their retention, oldest first, and caps its size', () => {
    const map = new ExpiringMap<number>(1000, 3);
    map.set('a', 1, 0);
    map.set('b', 2, 500);
    map.sweep(999);
    expect(map.size).toBe(2);
    map.sweep(1000);
    expect(map.get('a')).toBeUndefined();
    expect(map.get('b')).toBe(2);
    map.set('c', 3, 1000);
    map.set('d', 4, 1000);
    map.set('e', 5, 1000);
    expect(map.size).toBe(3);
    expect(map.get('b')).toBeUndefined();
  });

  it('forgets dead tokens and used codes a day after they die', async () => {
    const sim = makeSim(twoAccounts({ tokenDailyQuota: 100_000, tokenOverlapSeconds: 0 }));
    const query = { grant_type: 'client_credential', appid: APPID, secret: SECRET };
    for (let i = 0; i < 300; i++) await sim.get('/cgi-bin/token', query);
    for (let i = 0; i < 50; i++) {
      const code = await codeFor(sim, ALICE.openid!);
      await sim.get('/sns/oauth2/access_token', {
        appid: APPID,
        secret: SECRET,
        code,
        grant_type: 'authorization_code',
      });
    }
    expect(sim.state.tokens.size).toBe(300);
    expect(sim.state.grants.codes.size).toBe(50);
    expect(sim.state.grants.webTokens.size).toBe(50);
    await sim.advance(7200 + 86_400);
    await sim.token();
    await codeFor(sim, ALICE.openid!);
    expect(sim.state.tokens.size).toBe(1);
    expect(sim.state.grants.codes.size).toBe(1);
    // web tokens sweep on their next insertion; refresh tokens live 30 days
    expect(sim.state.grants.refreshTokens.size).toBe(50);
  });

  it('an old dead token answers 40001 or 42001 while remembered', async () => {
    const sim = makeSim();
    const token = await sim.token();
    await sim.advance(7200 + 86_399);
    expect((await sim.getJson('/cgi-bin/ticket/getticket', { access_token: token })).errcode).toBe(42001);
  });
});
