import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceUrl } from '../../support/services.js';
import { startTestSim, type TestSim } from '../../support/sim.js';
import { aesKey, type PushOutcome, until } from '../hub/gateway-hub.js';
import {
  checkDelivered,
  type GateSubscriber,
  type ServeChild,
  startGateSubscriber,
  startServeChild,
} from './kill-support.js';

const TOKEN = 'KillTestTok3n';
const USERS = 3;
const PER_USER = 4;

/**
 * A real `wxhub serve` (its CLI, a SQLite store file) SIGKILLed after it answered WeChat and
 * before its subscriber confirmed the deliveries (the subscriber holds them unanswered), then
 * a restarted hub, or a second hub already running on the same store, delivers every event.
 */
/**
 * The stores the hubs share: a SQLite file always; Redis and PostgreSQL too when given (always
 * under CI), in their default key prefix and schema (a `wxhub serve` configuration names
 * neither), where the test adds only its own account's events and its subscriber's positions.
 */
const redisUrl = serviceUrl('redis');
const postgresUrl = serviceUrl('postgres');
const STORES: [string, string][] = [
  ['SQLite', 'sqlite:hub.db'],
  ...(redisUrl ? [['Redis', redisUrl] as [string, string]] : []),
  ...(postgresUrl ? [['PostgreSQL', postgresUrl] as [string, string]] : []),
];

describe.each(STORES)(
  'a hub SIGKILLed between its answer to WeChat and the delivery (%s store)',
  (_name, storeUrl) => {
    let sim: TestSim;
    let crm: GateSubscriber;
    let dir: string;
    const running: ServeChild[] = [];
    const key = aesKey();

    beforeAll(async () => {
      sim = await startTestSim();
      crm = await startGateSubscriber();
    });
    afterAll(async () => {
      await Promise.all(running.map((hub) => hub.stop()));
      await crm?.close();
      await sim?.close();
    });

    /** A fresh store, account and users; the config file every hub of the test runs. */
    async function world() {
      dir = mkdtempSync(join(tmpdir(), 'wxhub-kill-'));
      const account = await sim.account();
      const openids: string[] = [];
      for (let i = 0; i < USERS; i++) openids.push((await sim.user(account.appid, { subscribe: 1 })).openid);
      const file = join(dir, 'wxhub.config.json');
      writeFileSync(
        file,
        JSON.stringify({
          store: storeUrl,
          database: 'sqlite:hub.db',
          wechat: { apiBase: sim.url, openBase: sim.url },
          logging: { level: 'warn' },
          accounts: [
            {
              appid: account.appid,
              secret: 'env:KILL_SECRET',
              tokenMode: 'classic',
              callback: { token: 'env:KILL_TOKEN', encodingAESKey: 'env:KILL_AES_KEY', mode: 'safe' },
            },
          ],
          // A name and filter of this run's own: the Redis and PostgreSQL stores are shared.
          subscribers: [
            {
              name: `crm_${account.appid}`,
              url: crm.url,
              secret: 'env:KILL_CRM_SECRET',
              appids: [account.appid],
            },
          ],
          // The shortest visibility timeout, so the takeover comes within seconds.
          gateway: { leaseTtlMs: 1000 },
        }),
      );
      const env = {
        KILL_SECRET: account.secret,
        KILL_TOKEN: TOKEN,
        KILL_AES_KEY: key,
        KILL_CRM_SECRET: crm.secret,
      };
      const start = async () => {
        const hub = await startServeChild(dir, file, env);
        running.push(hub);
        return hub;
      };
      /** WeChat's console pointed at `hub` (the URL check runs again). */
      const pointAt = (hub: ServeChild) =>
        sim.control('POST', `/__sim/accounts/${account.appid}/server`, {
          url: `${hub.url}/callback/${account.appid}`,
          token: TOKEN,
          mode: 'safe',
          encodingAESKey: key,
        });
      /** Each user sends PER_USER messages one after another (users side by side); all answered. */
      const pushAll = async () => {
        const pushed = new Map<string, string[]>();
        await Promise.all(
          openids.map(async (openid, u) => {
            const msgIds: string[] = [];
            pushed.set(openid, msgIds);
            for (let i = 0; i < PER_USER; i++) {
              const outcome = await sim.control<PushOutcome>(
                'POST',
                `/__sim/accounts/${account.appid}/users/${openid}/messages`,
                { msgType: 'text', content: `user ${u} message ${i}` },
              );
              expect(outcome.delivered, JSON.stringify(outcome)).toBe(true);
              expect(outcome.attempts).toBe(1);
              msgIds.push(String(outcome.msgId));
            }
          }),
        );
        return pushed;
      };
      return { start, pointAt, pushAll };
    }

    it(
      'a restarted hub delivers every answered push: in order per user, a duplicate only where the 2xx was lost, same webhook-id',
      { timeout: 90_000 },
      async () => {
        crm.deliveries.length = 0;
        const { start, pointAt, pushAll } = await world();
        const first = await start();
        await pointAt(first);
        crm.state.mode = 'hold';
        const pushed = await pushAll();
        // Deliveries are in flight (held) and the rest wait behind them.
        await until(() => crm.deliveries.length >= 1, 10_000, 'a delivery in flight');
        await first.kill();
        const inFlight = crm.deliveries.map((d) => d.msgId);
        crm.open();

        const second = await start();
        await pointAt(second);
        const total = USERS * PER_USER;
        await until(() => crm.answered().length >= total, 30_000, `${total} deliveries after the restart`);
        await new Promise((r) => setTimeout(r, 1500)); // nothing more comes
        const { duplicates } = checkDelivered(crm.deliveries, pushed);
        for (const duplicate of duplicates) expect(inFlight).toContain(duplicate.msgId);
        expect(inFlight.length).toBeGreaterThan(0);
        await second.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    );

    it(
      'another hub on the same store takes the events over after the lease TTL',
      { timeout: 90_000 },
      async () => {
        crm.deliveries.length = 0;
        const { start, pointAt, pushAll } = await world();
        const [doomed, survivor] = [await start(), await start()];
        await pointAt(doomed);
        crm.state.mode = 'hold';
        const pushed = await pushAll();
        await until(() => crm.deliveries.length >= 1, 10_000, 'a delivery in flight');
        await doomed.kill();
        const inFlight = crm.deliveries.map((d) => d.msgId);
        crm.open();

        const total = USERS * PER_USER;
        await until(() => crm.answered().length >= total, 30_000, `${total} deliveries by the survivor`);
        await new Promise((r) => setTimeout(r, 1500));
        const { duplicates } = checkDelivered(crm.deliveries, pushed);
        for (const duplicate of duplicates) expect(inFlight).toContain(duplicate.msgId);
        expect(survivor.child.exitCode).toBe(null);
        await survivor.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    );
  },
);
