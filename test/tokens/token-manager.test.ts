import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isWxhubError, WxhubError } from '../../src/errors/index.js';
import { HttpClient } from '../../src/http/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { AccountSpec } from '../../src/tokens/account.js';
import { exponentialBackoff } from '../../src/tokens/retry.js';
import { type RefreshEvent, TokenManager, type TokenManagerOptions } from '../../src/tokens/token-manager.js';
import { captureLogs } from '../support/log-capture.js';
import { startTestSim, type TestSim } from '../support/sim.js';

let sim: TestSim;
const http = new HttpClient({ timeoutMs: 500 });
const open: TokenManager[] = [];

beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(async () => {
  await http.close();
  await sim.close();
});
afterEach(async () => {
  await sim.clearFaults();
  await Promise.all(open.splice(0).map((m) => m.close()));
});

function manager(account: AccountSpec, options: Partial<TokenManagerOptions> = {}) {
  const m = new TokenManager({
    store: new MemoryStore({ clock: sim.clock }),
    accounts: [account],
    endpoints: { api: sim.url, open: sim.url },
    http,
    clock: sim.clock,
    retryStrategy: exponentialBackoff({ retries: 3, baseMs: 5, capMs: 20 }),
    ...options,
  });
  open.push(m);
  return m;
}

describe('TokenManager against the simulator', () => {
  it.each(['stable', 'classic'] as const)(
    'gives 1000 concurrent %s callers one upstream fetch',
    async (tokenMode) => {
      const account = await sim.account();
      const m = manager({ ...account, tokenMode });
      const tokens = await Promise.all(Array.from({ length: 1000 }, () => m.getAccessToken(account.appid)));
      expect(new Set(tokens.map((t) => t.value)).size).toBe(1);
      const path = tokenMode === 'stable' ? '/cgi-bin/stable_token' : '/cgi-bin/token';
      expect(await sim.calls(account.appid, path)).toBe(1);
      await m.getAccessToken(account.appid);
      expect(await sim.calls(account.appid, path)).toBe(1);
    },
  );

  it('peeks only at a token that needs no work: cold, due or unknown is undefined', async () => {
    const account = await sim.account();
    const m = manager({ ...account, tokenMode: 'classic' });
    expect(m.peekAccessToken(account.appid)).toBeUndefined(); // cold
    expect(m.peekAccessToken('wxunknown')).toBeUndefined();
    const record = await m.getAccessToken(account.appid);
    expect(m.peekAccessToken(account.appid)).toBe(record);
    await sim.advance(7200); // past refresh point and expiry: getAccessToken has work to do
    expect(m.peekAccessToken(account.appid)).toBeUndefined();
    const next = await m.getAccessToken(account.appid);
    expect(next.value).not.toBe(record.value);
    expect(m.peekAccessToken(account.appid)).toBe(next);
  });

  it('refreshes proactively across a virtual day: about 12 fetches, no 40001 ever', async () => {
    const account = await sim.account();
    const user = await sim.user(account.appid);
    const m = manager({ ...account, tokenMode: 'classic' });
    let failures = 0;
    for (let minute = 0; minute < 24 * 60; minute += 2) {
      await m.tick();
      const { value } = await m.getAccessToken(account.appid);
      const res = await http.json('GET', `${sim.url}/cgi-bin/user/info`, {
        query: { access_token: value, openid: user.openid },
      });
      if (res.body.errcode) failures++;
      await sim.advance(120);
    }
    const fetches = await sim.calls(account.appid, '/cgi-bin/token');
    expect(failures).toBe(0);
    expect(fetches).toBeGreaterThanOrEqual(12);
    expect(fetches).toBeLessThanOrEqual(15);
    expect((await sim.stats()).errors['40001'] ?? 0).toBe(0);
    expect((await sim.stats()).byAppid[account.appid]?.['/cgi-bin/user/info']).toBe(720);
  });

  it('serves the old token while a proactive refresh runs, then the new one', async () => {
    const account = await sim.account();
    const m = manager({ ...account, tokenMode: 'classic' });
    const first = await m.getAccessToken(account.appid);
    await sim.advance(7200 - 540 + 1); // past the 600 s margin, less at most 60 s of jitter
    const during = await m.getAccessToken(account.appid); // answered from cache, refresh starts
    expect(during.value).toBe(first.value);
    await m.tick(); // waits for the background refresh
    const after = await m.getAccessToken(account.appid);
    expect(after.value).not.toBe(first.value);
    expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(2);
  });

  it('answers a storm of refresh-if-current reports with one fetch', async () => {
    const account = await sim.account();
    const m = manager({ ...account, tokenMode: 'classic' });
    const dead = await m.getAccessToken(account.appid);
    await sim.invalidate(account.appid, true);
    const answers = await Promise.all(
      Array.from({ length: 500 }, () => m.refreshAccessToken(account.appid, dead.value)),
    );
    expect(new Set(answers.map((a) => a.value)).size).toBe(1);
    expect(answers[0]?.value).not.toBe(dead.value);
    expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(2);
    // a late report of the same dead token costs nothing
    await m.refreshAccessToken(account.appid, dead.value);
    expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(2);
  });

  it('refreshes a reported stable token normally first, then with force_refresh, 30 s apart', async () => {
    const account = await sim.account();
    const m = manager(account);
    const t1 = await m.getAccessToken(account.appid);
    // someone else force-refreshes: a normal call now answers the new token, no force spent
    await http.json('POST', `${sim.url}/cgi-bin/stable_token`, {
      json: {
        grant_type: 'client_credential',
        appid: account.appid,
        secret: account.secret,
        force_refresh: true,
      },
    });
    const t2 = await m.refreshAccessToken(account.appid, t1.value);
    expect(t2.value).not.toBe(t1.value);
    expect(await m.quotaUsed(account.appid, 'stable_force')).toBe(0);
    // WeChat still calls t2 current but a caller saw it dead: only force_refresh can replace it
    await sim.advance(31);
    const t3 = await m.refreshAccessToken(account.appid, t2.value);
    expect(t3.value).not.toBe(t2.value);
    expect(await m.quotaUsed(account.appid, 'stable_force')).toBe(1);
    // a second report within 30 s may not force again: the current token is answered
    const t4 = await m.refreshAccessToken(account.appid, t3.value);
    expect(t4.value).toBe(t3.value);
    expect(await m.quotaUsed(account.appid, 'stable_force')).toBe(1);
  });

  it('retries -1 and transport failures with backoff, then succeeds', async () => {
    const account = await sim.account();
    const m = manager({ ...account, tokenMode: 'classic' });
    await sim.fault({ path: '/cgi-bin/token', appid: account.appid, rate: 1, errcode: -1, count: 1 });
    await sim.fault({
      path: '/cgi-bin/token',
      appid: account.appid,
      rate: 1,
      httpStatus: 502,
      body: '<html>bad gateway</html>',
      count: 1,
    });
    await sim.fault({ path: '/cgi-bin/token', appid: account.appid, rate: 1, hang: true, count: 1 });
    const token = await m.getAccessToken(account.appid);
    expect(token.value.length).toBeGreaterThan(100);
    expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(4);
  });

  it('gives up after the retry budget with an error saying what was tried, not an option a hub operator cannot set', async () => {
    const account = await sim.account();
    const m = manager({ ...account, tokenMode: 'classic' });
    await sim.fault({ path: '/cgi-bin/token', appid: account.appid, rate: 1, errcode: -1 });
    const err = await m.getAccessToken(account.appid).catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_REFRESH_FAILED')).toBe(true);
    expect(err.errcode).toBe(-1);
    expect(err.message).toMatch(/after 4 attempts \(.*-1.*\); the next call tries again/);
    expect(err.message).not.toMatch(/retryStrategy/);
    expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(4);
  });

  it.each([
    ['wrong secret', { secret: 'not-the-secret' }, {}, 40125],
    ['frozen secret', {}, { secretFrozen: true }, 40243],
    ['IP not whitelisted', {}, { ipWhitelist: ['10.1.2.3'] }, 40164],
  ])('stops refreshing after a configuration error: %s', async (_name, override, simConfig, errcode) => {
    const account = await sim.account(simConfig);
    const m = manager({ ...account, tokenMode: 'classic', ...override });
    const err = await m.getAccessToken(account.appid).catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_ACCOUNT_DISABLED')).toBe(true);
    expect(err.errcode).toBe(errcode);
    if (errcode === 40164) expect(err.message).toMatch(/127\.0\.0\.1/);
    const again = await m.getAccessToken(account.appid).catch((e) => e);
    expect(isWxhubError(again, 'WXHUB_ERR_ACCOUNT_DISABLED')).toBe(true);
    expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(1); // no quota burnt
    expect(m.status(account.appid).disabledUntil).not.toBeNull();
    m.enable(account.appid);
    await m.getAccessToken(account.appid).catch(() => undefined);
    expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(2);
  });

  it('keeps serving the cached token after WeChat answers 45009, and stops calling', async () => {
    const account = await sim.account({ tokenDailyQuota: 1 });
    const m = manager({ ...account, tokenMode: 'classic' });
    const first = await m.getAccessToken(account.appid);
    const err = await m.refreshAccessToken(account.appid, first.value).catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_QUOTA_EXHAUSTED')).toBe(true);
    expect(err.errcode).toBe(45009);
    expect((await m.getAccessToken(account.appid)).value).toBe(first.value);
    await m.refreshAccessToken(account.appid, first.value).catch(() => undefined);
    expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(2);
  });

  it('guards the daily budget in the store, with a warning at 80%', async () => {
    const account = await sim.account();
    const m = manager({ ...account, tokenMode: 'classic', dailyBudget: 5 });
    const warnings: unknown[] = [];
    m.on('quota-warning', (w) => warnings.push(w));
    let token = await m.getAccessToken(account.appid);
    for (let i = 0; i < 4; i++) token = await m.refreshAccessToken(account.appid, token.value);
    expect(warnings).toEqual([{ appid: account.appid, used: 4, budget: 5 }]);
    const err = await m.refreshAccessToken(account.appid, token.value).catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_QUOTA_EXHAUSTED')).toBe(true);
    expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(5);
    expect(await m.quotaUsed(account.appid)).toBe(5); // the refused call never reached WeChat
  });

  it('fetches tickets with the token, caches them, and survives a dead token once', async () => {
    const account = await sim.account();
    const m = manager({ ...account, tokenMode: 'classic' });
    const ticket = await m.getTicket(account.appid, 'jsapi');
    expect(ticket.value.length).toBeGreaterThan(50);
    expect((await m.getTicket(account.appid, 'jsapi')).value).toBe(ticket.value);
    const card = await m.getTicket(account.appid, 'wx_card');
    expect(card.value).not.toBe(ticket.value);
    await sim.invalidate(account.appid, true);
    const fresh = await m.refreshTicket(account.appid, 'jsapi', ticket.value);
    expect(fresh.value).not.toBe(ticket.value);
    expect(await sim.calls(account.appid, '/cgi-bin/ticket/getticket')).toBe(4);
  });

  it('emits refresh and upstream events, and reports status', async () => {
    const account = await sim.account();
    const m = manager({ ...account, tokenMode: 'classic' });
    const events: RefreshEvent[] = [];
    m.on('refresh', (e) => events.push(e));
    const upstream: unknown[] = [];
    m.on('upstream', (e) => upstream.push(e));
    const token = await m.getAccessToken(account.appid);
    expect(events).toMatchObject([
      { appid: account.appid, kind: 'access_token', reason: 'missing', outcome: 'fetched' },
    ]);
    expect(upstream).toMatchObject([{ appid: account.appid, path: '/cgi-bin/token', errcode: 0 }]);
    expect(m.status(account.appid)).toMatchObject({
      tokenMode: 'classic',
      token: { expiresAt: token.expiresAt },
      lastError: null,
    });
  });

  it('rejects an unknown appid with a typed error', async () => {
    const account = await sim.account();
    const m = manager(account);
    await expect(m.getAccessToken('wx-unknown')).rejects.toBeInstanceOf(WxhubError);
    const err = await m.getAccessToken('wx-unknown').catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_UNKNOWN_ACCOUNT')).toBe(true);
  });

  it('never logs a secret or a token, whatever fails', async () => {
    const account = await sim.account();
    const logs = captureLogs();
    const m = manager({ ...account, tokenMode: 'classic' }, { logger: logs.logger });
    const token = await m.getAccessToken(account.appid);
    await sim.fault({ path: '/cgi-bin/token', appid: account.appid, rate: 1, errcode: -1, count: 2 });
    const next = await m.refreshAccessToken(account.appid, token.value);
    const wrong = manager(
      { ...account, secret: 'wrong-secret-value', tokenMode: 'classic' },
      { logger: logs.logger },
    );
    await wrong.getAccessToken(account.appid).catch(() => undefined);
    expect(logs.lines.length).toBeGreaterThan(2);
    expect(logs.leaks([account.secret, 'wrong-secret-value', token.value, next.value])).toEqual([]);
  });
});
