import { describe, expect, it } from 'vitest';
import { APPID, expectWeChatError, makeSim, SECRET, TOKEN_SHAPE, twoAccounts } from './support/sim.js';

const body = (extra: Record<string, unknown> = {}) => ({
  grant_type: 'client_credential',
  appid: APPID,
  secret: SECRET,
  ...extra,
});

describe('POST /cgi-bin/stable_token', () => {
  it('answers a form-encoded body with 41002 (JSON only)', async () => {
    const sim = makeSim();
    const res = await sim.post(
      '/cgi-bin/stable_token',
      `grant_type=client_credential&appid=${APPID}&secret=${SECRET}`,
      undefined,
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    expectWeChatError(res, 41002);
  });

  it('answers the parameter errors like /cgi-bin/token', async () => {
    const sim = makeSim();
    expectWeChatError(await sim.post('/cgi-bin/stable_token', body({ appid: undefined })), 41002);
    expectWeChatError(await sim.post('/cgi-bin/stable_token', body({ secret: undefined })), 41004);
    expectWeChatError(await sim.post('/cgi-bin/stable_token', body({ grant_type: 'x' })), 40002);
    expectWeChatError(await sim.post('/cgi-bin/stable_token', body({ appid: 'wxnope' })), 40013);
    expectWeChatError(await sim.post('/cgi-bin/stable_token', body({ secret: 'bad' })), 40125);
    const frozen = makeSim(twoAccounts({ secretFrozen: true }));
    expectWeChatError(await frozen.post('/cgi-bin/stable_token', body()), 40243);
    const walled = makeSim(twoAccounts({ ipWhitelist: ['10.0.0.1'] }));
    expectWeChatError(await walled.post('/cgi-bin/stable_token', body()), 40164);
  });

  it('returns the same token during its life with expires_in the remaining lifetime', async () => {
    const sim = makeSim();
    const first = await sim.postJson('/cgi-bin/stable_token', body());
    expect(first).toEqual({ access_token: expect.stringMatching(TOKEN_SHAPE), expires_in: 7200 });
    await sim.advance(1000);
    const again = await sim.postJson('/cgi-bin/stable_token', body());
    expect(again).toEqual({ access_token: first.access_token, expires_in: 6200 });
  });

  it('hands out the next token in the last 5 minutes, while the old one lives to its expiry', async () => {
    const sim = makeSim();
    const first = await sim.postJson('/cgi-bin/stable_token', body());
    await sim.advance(7200 - 301);
    expect((await sim.postJson('/cgi-bin/stable_token', body())).access_token).toBe(first.access_token);
    await sim.advance(1); // 300 s left
    const next = await sim.postJson('/cgi-bin/stable_token', body());
    expect(next.access_token).not.toBe(first.access_token);
    expect(next.expires_in).toBe(7200);
    const ticket = (t: string) => sim.get('/cgi-bin/ticket/getticket', { access_token: t });
    expect((await ticket(first.access_token)).json().errcode).toBe(0);
    await sim.advance(300);
    expectWeChatError(await ticket(first.access_token), 42001);
    expect((await ticket(next.access_token)).json().errcode).toBe(0);
    expect((await sim.postJson('/cgi-bin/stable_token', body())).access_token).toBe(next.access_token);
  });

  it('force_refresh issues a new token and kills the previous one at once', async () => {
    const sim = makeSim();
    const first = await sim.postJson('/cgi-bin/stable_token', body());
    await sim.advance(31);
    const forced = await sim.postJson('/cgi-bin/stable_token', body({ force_refresh: true }));
    expect(forced.access_token).not.toBe(first.access_token);
    expect(forced.expires_in).toBe(7200);
    expectWeChatError(
      await sim.get('/cgi-bin/ticket/getticket', { access_token: first.access_token }),
      40001,
    );
    expect((await sim.postJson('/cgi-bin/stable_token', body())).access_token).toBe(forced.access_token);
  });

  it('within 30 s of the previous force_refresh returns the current token without refreshing', async () => {
    const sim = makeSim();
    const a = await sim.postJson('/cgi-bin/stable_token', body({ force_refresh: true }));
    await sim.advance(29);
    const b = await sim.postJson('/cgi-bin/stable_token', body({ force_refresh: true }));
    expect(b.access_token).toBe(a.access_token);
    expect(b.expires_in).toBe(7200 - 29);
    await sim.advance(1);
    const c = await sim.postJson('/cgi-bin/stable_token', body({ force_refresh: true }));
    expect(c.access_token).not.toBe(a.access_token);
  });

  it('allows 20 force_refresh a virtual day: the 21st is 45009, the next day works again', async () => {
    const sim = makeSim();
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await sim.postJson('/cgi-bin/stable_token', body({ force_refresh: true }));
      expect(res.access_token, JSON.stringify(res)).toBeDefined();
      seen.add(res.access_token);
      await sim.advance(31);
    }
    expect(seen.size).toBe(20);
    expectWeChatError(await sim.post('/cgi-bin/stable_token', body({ force_refresh: true })), 45009);
    // Normal mode still works on a force-exhausted day.
    expect((await sim.postJson('/cgi-bin/stable_token', body())).expires_in).toBeGreaterThan(0);
    await sim.advance(86_400);
    expect((await sim.postJson('/cgi-bin/stable_token', body({ force_refresh: true }))).expires_in).toBe(
      7200,
    );
  });

  it('is independent of /cgi-bin/token, and both kinds open every API', async () => {
    const sim = makeSim(twoAccounts({ tokenOverlapSeconds: 0 }));
    const stable = (await sim.postJson('/cgi-bin/stable_token', body())).access_token as string;
    const classic = await sim.token();
    await sim.token(); // kills `classic` at once, not `stable`
    const info = (t: string) =>
      sim.getJson('/cgi-bin/user/info', { access_token: t, openid: 'oAliceAAAAAAAAAAAAAAAAAAAAAA' });
    expect((await info(stable)).subscribe).toBe(1);
    expect((await info(classic)).errcode).toBe(40001);
    const classic2 = await sim.token();
    await sim.advance(31);
    await sim.postJson('/cgi-bin/stable_token', body({ force_refresh: true }));
    expect((await info(classic2)).subscribe).toBe(1);
  });
});
