import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, PrivateRedis } from '../../bench/chaos/redis-server.js';
import { runCli } from '../hub/support/run-cli.js';
import { requireBinary } from '../support/binaries.js';
import { startTestSim, type TestSim } from '../support/sim.js';
import { bearer, eventually, type HubProcess, http, sleep, startServe } from './support/processes.js';

/**
 * Three real `wxhub serve` processes on a private, throwaway redis-server (never the shared test
 * Redis), which is killed and started again empty. Tokens live in Redis only as a shared copy:
 * each hub keeps serving its cached token while Redis is away and writes it back when Redis
 * returns, so the restart costs no upstream fetch.
 */
const binary = requireBinary('redis-server', 'redis-server');
const CHANNEL = 'wxhub:credentials';

describe.skipIf(!binary)('a fleet of 3 `wxhub serve` processes when Redis restarts', () => {
  let sim: TestSim | undefined;
  let redis: PrivateRedis | undefined;
  const hubs: HubProcess[] = [];
  afterAll(async () => {
    await Promise.all(hubs.map((h) => h.stop()));
    await redis?.kill();
    await sim?.close();
  });

  it(
    'keeps answering tokens through the outage, writes them back, and costs 0 upstream fetches',
    { timeout: 60_000 },
    async () => {
      sim = await startTestSim();
      const { appid, secret } = await sim.account();
      const { openid } = await sim.user(appid);
      redis = new PrivateRedis(binary!, await freePort());
      await redis.start();
      const port = redis.port;
      const dir = mkdtempSync(join(tmpdir(), 'wxhub-fleet-restart-'));
      const configFile = join(dir, 'wxhub.config.json');
      writeFileSync(
        configFile,
        JSON.stringify({
          store: `redis://127.0.0.1:${port}/0`,
          database: 'sqlite:fleet.db',
          wechat: { apiBase: sim.url, openBase: sim.url },
          accounts: [{ appid, secret: 'env:FLEET_WX_SECRET', tokenMode: 'classic' }],
          rateLimit: { perSecond: 100_000, burst: 100_000 },
          logging: { level: 'error' },
        }),
      );
      const created = await runCli(
        [
          'keys',
          'create',
          '--name',
          'restart',
          '--appid',
          appid,
          '--scope',
          'token,refresh,proxy',
          '--config',
          configFile,
        ],
        dir,
      );
      expect(created.code, created.stderr).toBe(0);
      const key = created.stdout.trimEnd().split('\n').at(-1)!;
      const env = { FLEET_WX_SECRET: secret };
      hubs.push(await startServe(['--config', configFile], dir, env));
      hubs.push(...(await Promise.all([1, 2].map(() => startServe(['--config', configFile], dir, env)))));

      const failures: string[] = [];
      const fetches = () => sim!.calls(appid, '/cgi-bin/token');
      const tokenFrom = async (hub: HubProcess): Promise<string | undefined> => {
        try {
          const res = await http(`${hub.url}/v1/accounts/${appid}/access-token`, { headers: bearer(key) });
          if (res.status === 200) return String(res.body.access_token);
          failures.push(`${hub.url}: ${res.status} ${res.text}`);
        } catch (err) {
          failures.push(`${hub.url}: ${String(err)}`);
        }
        return undefined;
      };
      const everyHub = async () =>
        new Set(await Promise.all(hubs.flatMap((h) => [tokenFrom(h), tokenFrom(h)])));

      const warm = await Promise.all(hubs.flatMap((h) => Array.from({ length: 30 }, () => tokenFrom(h))));
      const token = warm[0]!;
      expect(new Set(warm)).toEqual(new Set([token]));
      expect(await fetches()).toBe(1);
      const issued = await http(
        `${hubs[1]!.url}/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${key}`,
      );
      const standIn = String(issued.body.access_token);
      const storeKey = `wxhub:cred:token:${appid}`;
      const admin = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50, maxRetriesPerRequest: 1 });
      admin.on('error', () => undefined); // refused while Redis is down, by design
      const subscribers = async () =>
        ((await admin.call('PUBSUB', 'NUMSUB', CHANNEL)) as [string, number])[1];
      try {
        expect(await admin.hget(storeKey, 'value')).toBe(token);
        // A hub answers before its change feed is open: wait for every hub's subscription.
        const everyHubSubscribed = () =>
          eventually(async () => (await subscribers()) >= hubs.length, 15_000, 100);
        expect(await everyHubSubscribed(), 'every hub listens for changes').toBe(true);

        // Redis dies. Every hub keeps serving its cached token; readiness says the store is gone.
        await redis.kill();
        for (let i = 0; i < 10; i++) {
          expect(await everyHub()).toEqual(new Set([token]));
          await sleep(100);
        }
        for (const hub of hubs) {
          const proxied = await http(`${hub.url}/cgi-bin/user/info?access_token=${standIn}&openid=${openid}`);
          expect(proxied.body.openid, proxied.text).toBe(openid);
        }
        const unready = await Promise.all(hubs.map((h) => http(`${h.url}/readyz`)));
        expect(unready.map((r) => r.status)).toEqual([503, 503, 503]);
        expect(unready[0]!.text).toContain('WXHUB_ERR_STORE_UNAVAILABLE');

        // Redis comes back empty (no persistence). The hubs reconnect by themselves.
        await redis.start();
        const backAt = performance.now();
        expect(await admin.exists(storeKey)).toBe(0);
        const ready = await eventually(
          async () =>
            (await Promise.all(hubs.map((h) => http(`${h.url}/readyz`)))).every((r) => r.status === 200),
          10_000,
          100,
        );
        expect(ready, 'every hub ready again').toBe(true);
        // Callers keep coming; the first read past a hub's revalidation interval puts the token back.
        const restored = await eventually(
          async () => {
            expect(await everyHub()).toEqual(new Set([token]));
            return (await admin.hget(storeKey, 'value')) === token;
          },
          15_000,
          100,
        );
        expect(restored, 'the cached token was written back to the empty Redis').toBe(true);
        const restoredMs = Math.round(performance.now() - backAt);
        expect(await fetches(), 'fetches caused by the Redis restart').toBe(1);

        // The fleet is whole again: every hub subscribed anew (a subscriber on its own reconnect
        // backoff, up to 2 s), and a refresh on one hub reaches the others. Pub/sub's own latency is
        // test/fleet/fleet.test.ts's to measure; here the bound is the 5 s revalidation, with room.
        expect(await everyHubSubscribed(), 'every hub resubscribed').toBe(true);
        const refreshed = await http(`${hubs[0]!.url}/v1/accounts/${appid}/access-token/refresh`, {
          method: 'POST',
          headers: bearer(key),
          json: { stale_token: token },
        });
        expect(refreshed.status).toBe(200);
        const next = String(refreshed.body.access_token);
        expect(next).not.toBe(token);
        expect(
          await eventually(async () => {
            const seen = await everyHub();
            return seen.size === 1 && seen.has(next);
          }, 10_000),
        ).toBe(true);
        expect(await fetches()).toBe(2);
        expect(failures).toEqual([]);
        console.log(
          `\nfleet Redis restart: 0 upstream fetches, token back in Redis ${restoredMs} ms after it restarted\n`,
        );
      } finally {
        admin.disconnect();
      }
    },
  );
});
