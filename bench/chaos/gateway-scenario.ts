import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../../src/sim/index.js';
import { Balancer } from './balancer.js';
import { ChaosSubscriber } from './chaos-subscriber.js';
import { HubSlot } from './fleet.js';
import { judgeDeliveries, kept, type PushRecord, type SubscriberVerdict } from './gateway-ledger.js';
import { freePort } from './redis-server.js';
import { SimClient } from './sim-client.js';

export interface GatewayChaosOptions {
  /** How long WeChat pushes, s; the faults are spread over this window. */
  readonly seconds: number;
  /** Pushes per second over all users (each user's pushes one after another). */
  readonly rate: number;
  readonly users: number;
  /** How long a subscriber takes to answer, ms: deliveries are in flight when a hub dies. */
  readonly subscriberDelayMs: number;
  /** How long everything may take to arrive after the pushes stop, s. */
  readonly drainSeconds: number;
  readonly log: (line: string) => void;
}

export const GATEWAY_DEFAULTS: Omit<GatewayChaosOptions, 'log'> = {
  seconds: 60,
  rate: 30,
  users: 12,
  subscriberDelayMs: 100,
  drainSeconds: 120,
};

export interface GatewayChaosReport {
  readonly settings: Omit<GatewayChaosOptions, 'log'>;
  readonly pushes: { readonly sent: number; readonly accepted: number; readonly refused: number };
  readonly incidents: readonly { readonly at: number; readonly what: string }[];
  readonly subscribers: readonly SubscriberVerdict[];
  readonly drainedInSeconds: number | null;
  readonly passed: boolean;
}

const TOKEN = 'ChaosGatewayTok3n';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/**
 * The gateway under faults: two `startHub` processes (as `wxhub serve` runs them) on one SQLite
 * store behind a load balancer, WeChat (the simulator) pushing signed safe-mode messages through
 * it at a steady rate, two webhook subscribers. During the pushes: a subscriber answers 503 for a
 * while, each hub is SIGKILLed with deliveries in flight and restarted, the other subscriber's
 * port closes and reopens. Then everything drains and each subscriber's deliveries are judged
 * (gateway-ledger.ts): 0 lost, duplicates only where a crash lost the 2xx, one webhook-id per
 * event, in order per user.
 */
export async function runGatewayChaos(options: GatewayChaosOptions): Promise<GatewayChaosReport> {
  const { log } = options;
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-chaos-gateway-'));
  const started = performance.now();
  const now = () => performance.now() - started;
  const incidents: { at: number; what: string }[] = [];
  const incident = (what: string) => {
    incidents.push({ at: Math.round(now()), what });
    log(`  ${(now() / 1000).toFixed(1)} s  ${what}`);
  };
  const kills: number[] = [];
  const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
  const simUrl = sim.url.replace(/\/+$/, '');
  const simClient = new SimClient(simUrl);
  const subscribers = [
    new ChaosSubscriber('crm', { delayMs: options.subscriberDelayMs, started }),
    new ChaosSubscriber('bot', { delayMs: options.subscriberDelayMs, started }),
  ];
  const [crm, bot] = subscribers as [ChaosSubscriber, ChaosSubscriber];
  const hubs: HubSlot[] = [];
  let balancer: Balancer | undefined;
  try {
    const appid = `wx${randomBytes(8).toString('hex')}`;
    const secret = randomBytes(16).toString('hex');
    await simClient.control('POST', '/__sim/accounts', { appid, secret });
    const openids: string[] = [];
    for (let i = 0; i < options.users; i++)
      openids.push(
        (
          await simClient.control<{ openid: string }>('POST', `/__sim/accounts/${appid}/users`, {
            subscribe: 1,
          })
        ).openid,
      );
    for (const s of subscribers) await s.start();

    const env = {
      CHAOS_WX_SECRET: secret,
      CHAOS_CALLBACK_TOKEN: TOKEN,
      CHAOS_AES_KEY: AES_KEY,
      CHAOS_CRM_SECRET: crm.secret,
      CHAOS_BOT_SECRET: bot.secret,
    };
    for (const name of ['gw-hub-1', 'gw-hub-2']) {
      const port = await freePort();
      const config = {
        store: `sqlite:${join(dir, 'hub.db')}`,
        database: `sqlite:${join(dir, 'hub.db')}`,
        listen: { host: '127.0.0.1', port },
        wechat: { apiBase: simUrl, openBase: simUrl },
        logging: { level: 'warn' },
        accounts: [
          {
            appid,
            secret: 'env:CHAOS_WX_SECRET',
            tokenMode: 'classic',
            callback: {
              token: 'env:CHAOS_CALLBACK_TOKEN',
              encodingAESKey: 'env:CHAOS_AES_KEY',
              mode: 'safe',
            },
          },
        ],
        subscribers: [
          { name: 'crm', url: crm.url, secret: 'env:CHAOS_CRM_SECRET' },
          { name: 'bot', url: bot.url, secret: 'env:CHAOS_BOT_SECRET' },
        ],
        // A visibility timeout short enough for the run, and long enough that a hub slowed down
        // by a busy machine keeps its partitions (stalled past it, it would deliver a duplicate).
        gateway: { leaseTtlMs: 5000 },
      };
      const hub = new HubSlot(
        name,
        port,
        { ...env, CHAOS_HUB_CONFIG: JSON.stringify(config) },
        dir,
        () => undefined,
      );
      await hub.start(0);
      hubs.push(hub);
    }
    balancer = new Balancer(hubs.map((h) => h.url));
    const front = await balancer.start();
    await simClient.control('POST', `/__sim/accounts/${appid}/server`, {
      url: `${front}/callback/${appid}`,
      token: TOKEN,
      mode: 'safe',
      encodingAESKey: AES_KEY,
    });

    const windowMs = options.seconds * 1000;
    const pushStart = now();
    const pushes: PushRecord[] = [];
    const gapMs = (options.users * 1000) / options.rate;
    const pushing = Promise.all(
      openids.map(async (openid, u) => {
        // Users start spread over one gap, so the rate is even.
        await sleep((gapMs * u) / options.users);
        for (let i = 0; now() - pushStart < windowMs; i++) {
          const t0 = now();
          const outcome = await simClient.control<{ msgId?: string; delivered: boolean }>(
            'POST',
            `/__sim/accounts/${appid}/users/${openid}/messages`,
            { msgType: 'text', content: `user ${u} message ${i}` },
          );
          pushes.push({ openid, msgId: String(outcome.msgId), accepted: outcome.delivered });
          await sleep(Math.max(0, gapMs - (now() - t0)));
        }
      }),
    );
    const at = (fraction: number) => sleep(Math.max(0, pushStart + fraction * windowMs - now()));
    const killAndRestart = async (hub: HubSlot) => {
      incident(`SIGKILL ${hub.name}`);
      kills.push(now());
      await hub.kill();
      await sleep(2000);
      await hub.start(0);
      incident(`${hub.name} restarted`);
    };
    const faults = (async () => {
      await at(0.15);
      crm.down = true;
      incident('crm answers 503');
      await at(0.25);
      await killAndRestart(hubs[0]!);
      await at(0.4);
      crm.down = false;
      incident('crm answers again');
      await at(0.5);
      await bot.kill();
      incident("bot's port closed");
      await at(0.6);
      await killAndRestart(hubs[1]!);
      await at(0.7);
      await bot.revive();
      incident("bot's port open again");
    })();
    await Promise.all([pushing, faults]);
    incident(`pushes stopped: ${pushes.length} sent, ${pushes.filter((p) => p.accepted).length} accepted`);

    const acceptedIds = new Set(pushes.filter((p) => p.accepted).map((p) => p.msgId));
    const allAnswered = () =>
      subscribers.every((s) => {
        const answered = new Set(s.deliveries.filter((d) => d.answeredAt !== undefined).map((d) => d.msgId));
        return [...acceptedIds].every((id) => answered.has(id));
      });
    const drainStart = now();
    let drainedInSeconds: number | null = null;
    while (now() - drainStart < options.drainSeconds * 1000) {
      if (allAnswered()) {
        drainedInSeconds = Math.round(now() - drainStart) / 1000;
        break;
      }
      await sleep(200);
    }
    // Late duplicates would show up now.
    await sleep(2000);
    incident(drainedInSeconds === null ? 'not drained in time' : `drained in ${drainedInSeconds} s`);
    const verdicts = subscribers.map((s) => judgeDeliveries(s.name, pushes, s.deliveries, kills));
    return {
      settings: {
        seconds: options.seconds,
        rate: options.rate,
        users: options.users,
        subscriberDelayMs: options.subscriberDelayMs,
        drainSeconds: options.drainSeconds,
      },
      pushes: {
        sent: pushes.length,
        accepted: acceptedIds.size,
        refused: pushes.length - acceptedIds.size,
      },
      incidents,
      subscribers: verdicts,
      drainedInSeconds,
      passed: drainedInSeconds !== null && verdicts.every(kept),
    };
  } finally {
    await Promise.all(hubs.map((h) => h.stop().catch(() => undefined)));
    await balancer?.close();
    await Promise.all(subscribers.map((s) => s.kill()));
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report as text: the incidents, then one row per subscriber. */
export function formatGatewayReport(report: GatewayChaosReport): string {
  const rows = report.subscribers.map(
    (v) =>
      `  ${v.subscriber.padEnd(4)}  accepted ${v.accepted}  lost ${v.lost}  deliveries ${v.deliveries}  duplicates ${v.duplicates} (unexplained ${v.unexplained})  webhook-id changes ${v.idChanges}  out of order ${v.outOfOrder}${v.examples.length ? `\n    ${v.examples.join('\n    ')}` : ''}`,
  );
  return [
    `Gateway: ${report.pushes.sent} pushes, ${report.pushes.accepted} accepted by the hubs, ${report.pushes.refused} not (WeChat's three tries failed)`,
    ...rows,
    `${report.passed ? 'PASS' : 'FAIL'}: 0 lost, duplicates only where a crash lost the 2xx (same webhook-id), in order per user`,
  ].join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
