import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/http/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { type RefreshEvent, TokenManager } from '../../src/tokens/token-manager.js';
import { eventually } from '../store/helpers.js';
import { startTestSim, type TestSim } from '../support/sim.js';

/**
 * Found by the chaos run (bench/chaos): after the store lost its records (a Redis restart without
 * persistence), the hubs write their cached token back, and the store numbers it from version 1
 * again. The engine kept its cached copy at the old version, so at the refresh point it took the
 * store's record for another process's newer write and never refreshed proactively: the token was
 * renewed only at expiry − 60 s, by a caller waiting on the fetch (reason `expired`).
 */
describe('a token written back after the store lost it', () => {
  let sim: TestSim;
  const http = new HttpClient({ timeoutMs: 2000 });
  beforeAll(async () => {
    sim = await startTestSim();
  });
  afterAll(async () => {
    await http.close();
    await sim.close();
  });

  it.each(['classic', 'stable'] as const)(
    'is still refreshed proactively (%s), once for the fleet',
    async (tokenMode) => {
      const account = await sim.account();
      const store = new MemoryStore({ clock: sim.clock });
      const events: RefreshEvent[] = [];
      const hubs = [1, 2].map(() => {
        const m = new TokenManager({
          store,
          accounts: [{ ...account, tokenMode }],
          endpoints: { api: sim.url, open: sim.url },
          http,
          clock: sim.clock,
          jitterMs: 0,
        });
        m.on('refresh', (e: RefreshEvent) => events.push(e));
        return m;
      });
      try {
        // One refresh first, so the stored record is past version 1 as in any fleet that has run a while.
        const initial = await hubs[0]!.getAccessToken(account.appid);
        const first = await hubs[0]!.refreshAccessToken(account.appid, initial.value);
        expect(first.version).toBe(2);
        expect((await hubs[1]!.getAccessToken(account.appid)).value).toBe(first.value);

        // The store loses everything; the next reads past the revalidation interval write it back
        // (in the background of the read: wait for the write, then for every hub to follow it).
        const key = `token:${account.appid}`;
        await store.deleteCredential(key);
        await sim.advance(10);
        for (const hub of hubs) expect((await hub.getAccessToken(account.appid)).value).toBe(first.value);
        expect(await eventually(async () => (await store.getCredential(key)) !== null, 10_000)).toBe(true);
        await sim.advance(10);
        for (const hub of hubs) await hub.getAccessToken(account.appid);
        const versions = async () =>
          Promise.all(hubs.map(async (h) => (await h.getAccessToken(account.appid)).version));
        expect(await eventually(async () => (await versions()).every((v) => v === 1), 10_000)).toBe(true);
        const restored = (await store.getCredential(key))!;
        expect(restored.value).toBe(first.value);
        expect(restored.version).toBe(1);

        // Past the refresh point (and not yet at expiry − 60 s): a proactive refresh is due.
        const refreshAt = hubs[0]!.status(account.appid).token!.refreshAt;
        await sim.advance((refreshAt - sim.clock.now()) / 1000 + 5);
        await Promise.all(hubs.map((h) => h.tick()));
        expect(events.filter((e) => e.reason === 'proactive' && e.outcome === 'fetched')).toHaveLength(1);
        const renewed = (await store.getCredential(`token:${account.appid}`))!;
        expect(renewed.value).not.toBe(first.value);
        for (const hub of hubs) expect((await hub.getAccessToken(account.appid)).value).toBe(renewed.value);
      } finally {
        await Promise.all(hubs.map((h) => h.close()));
      }
    },
  );
});
