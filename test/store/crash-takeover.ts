import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type OpenStoreOptions, openStore } from '../../src/store/index.js';
import { TokenManager } from '../../src/tokens/index.js';
import { startTestSim, type TestSim } from '../support/sim.js';
import { eventually, startWorker } from './helpers.js';

/** DESIGN.md: "Leases live at most 15 s, so a holder that died is taken over within 20 s." */
const LEASE_AT_MOST_MS = 15_000;
const TAKEOVER_WITHIN_MS = 20_000;

/** What the store holds of one lease: its name and how long it still lives, ms. */
export interface LeaseLeft {
  readonly name: string;
  readonly leftMs: number;
}

/**
 * A TokenManager in another OS process takes the refresh lease with the default settings and is
 * SIGKILLed while WeChat stalls its fetch; a TokenManager here (defaults again) must wait out the
 * dead holder's lease, take over and fetch within the promised bound. `leases` reads the store's
 * live leases directly (each backend keeps them in its own table).
 */
export function itTakesOverFromAKilledHolder(
  url: string,
  options: OpenStoreOptions,
  leases: () => Promise<LeaseLeft[]>,
): void {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim();
  });
  afterAll(() => sim?.close());

  it(
    `SIGKILL of the refresh lease holder mid-fetch: another process fetches within ${TAKEOVER_WITHIN_MS / 1000} s`,
    { timeout: 60_000 },
    async () => {
      const { appid, secret } = await sim.account();
      const { openid } = await sim.user(appid);
      await sim.fault({ path: '/cgi-bin/token', appid, rate: 1, delayMs: 60_000, count: 1 });
      const holder = startWorker('token-holder', [url, JSON.stringify(options), appid, secret, sim.url]);
      const store = openStore(url, options);
      const survivor = new TokenManager({
        store,
        accounts: [{ appid, secret, tokenMode: 'classic' }],
        endpoints: { api: sim.url, open: sim.url },
      });
      try {
        expect(await holder.next()).toEqual({ ready: true });
        holder.send('{"op":"fetch"}');
        expect(await holder.next()).toEqual({ fetching: true });
        const inFlight = await eventually(
          async () => (await sim.calls(appid, '/cgi-bin/token')) === 1 && (await leases()).length === 1,
          10_000,
        );
        expect(inFlight, 'the holder took the lease and called WeChat').toBe(true);
        const [lease] = await leases();
        const measuredAt = performance.now();
        holder.kill();
        const killedAt = performance.now();
        expect((await holder.exit).code).toBe(null);

        const record = await survivor.getAccessToken(appid);
        const doneAt = performance.now();
        const takeoverMs = Math.round(doneAt - killedAt);
        console.info(
          `[crash takeover] ${url.split(':')[0]}: lease ${lease!.name} had ${lease!.leftMs} ms left at the kill; ` +
            `the survivor fetched ${takeoverMs} ms after it (bound ${TAKEOVER_WITHIN_MS} ms)`,
        );
        expect(lease!.leftMs, 'leases live at most 15 s').toBeLessThanOrEqual(LEASE_AT_MOST_MS);
        expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_WITHIN_MS);
        // Not before the dead holder's lease ran out: the survivor did not fetch beside a live lease.
        expect(doneAt - measuredAt).toBeGreaterThanOrEqual(lease!.leftMs - 50);
        // The dead holder's fetch (counted when it reached WeChat) and the survivor's: nothing else.
        expect(await sim.calls(appid, '/cgi-bin/token')).toBe(2);
        expect(record.version, 'the dead holder wrote nothing').toBe(1);
        const info = await fetch(
          `${sim.url}/cgi-bin/user/info?access_token=${record.value}&openid=${openid}`,
        );
        expect(((await info.json()) as { openid?: string }).openid, 'WeChat accepts the new token').toBe(
          openid,
        );
      } finally {
        holder.kill();
        await survivor.close();
        await store.close();
      }
    },
  );
}
