/**
 * The callback gateway's receiver under WeChat's pushes (issue #13): signed pushes (plaintext and
 * safe mode) to `/callback/:appid` with three webhook subscribers on loopback, beside a bare
 * `node:http` server that only verifies the signature (and in safe mode msg_signature) and
 * answers `success`, and a bare fan-out server that also sends each push to the three subscribers
 * as a signed webhook, with no log and no guarantee (bench/lib/bare-push-servers.ts: the ceiling
 * of any receiver that delivers per event), each in its own process, one load generator (undici
 * pooled connections) for all, in the same run.
 *
 *   node --import tsx bench/gateway.ts [--rate 1000] [--seconds 5] [--concurrency 50]
 *                                     [--requests 20000] [--max-seconds 5] [--rounds 1]
 *                                     [--modes plain,safe] [--drain-seconds 120] [--subscribers 3]
 *
 * Per mode and target:
 * - at a fixed rate (`--rate` pushes/s for `--seconds`, open loop, latency from when each push
 *   was due): ack p50/p99; for the gateway also the delivery lag (the push's answer at the
 *   sender → the webhook's arrival at a subscriber, every delivery of the three subscribers);
 * - closed loop at `--concurrency` (up to `--requests` pushes or `--max-seconds`): pushes/s and
 *   ack p50/p99; gateway / bare is the ratio. The gateway's backlog is then drained and timed.
 * The gateway is `wxhub serve` (bench/lib/hub-server.ts: its CLI, a SQLite store holding the event
 * log, positions and leases, default logging and settings, 16 partitions), the accounts'
 * `callback` blocks and the three `subscribers` in its configuration file, as an operator runs it.
 * Prints a table and writes bench/results/gateway.json. Targets: ack p99 < 100 ms at 1,000
 * pushes/s; gateway / bare ≥ 0.5.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { newWebhookSecret } from '../src/gateway/deliver/webhook-signature.js';
import { serveBare, serveBareFanout } from './lib/bare-push-servers.js';
import { startHubServer } from './lib/hub-server.js';
import {
  type ChildServer,
  median,
  percentile,
  printTable,
  processCpuSeconds,
  round,
  runLoad,
  type Summary,
  startChildServer,
  summarize,
  writeResults,
} from './lib/index.js';
import { runOpenLoop } from './lib/open-loop.js';
import { runMain } from './lib/run-main.js';
import { type PushAccount, type SignedPush, signedPushes } from './lib/signed-pushes.js';
import { startSimChild } from './lib/sim-control.js';
import {
  type ReceiverLog,
  receiverSecretsFromEnv,
  serveWebhookReceivers,
  startWebhookReceivers,
  type WebhookReceivers,
} from './lib/webhook-receivers.js';

const SELF = fileURLToPath(import.meta.url);
const TOKEN = 'gatewayBenchToken01';
const SECRET = 'gatewaybenchsecret00000000000001';
/** WeChat's own example key: 43 characters of [A-Za-z0-9]. */
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const ACCOUNTS: Record<'plain' | 'safe', PushAccount> = {
  plain: { appid: 'wx0b0be00c0000a001', token: TOKEN, encodingAESKey: AES_KEY, mode: 'plain' },
  safe: { appid: 'wx0b0be00c0000a002', token: TOKEN, encodingAESKey: AES_KEY, mode: 'safe' },
};
/** Users the pushes come from: spread over the gateway's 16 partitions. */
const USERS = 500;

type TargetName = 'gateway' | 'bare fan-out' | 'bare node:http';

interface Target {
  readonly name: TargetName;
  readonly server: ChildServer;
}

/** One measurement of one target in one mode. */
interface Measured {
  readonly fixed: Summary & { rate: number; lagP50Ms?: number; lagP99Ms?: number; lagMaxMs?: number };
  readonly max: Summary & {
    drainSeconds?: number;
    /** Pushes over the closed loop and the draining of their deliveries: what is sustained. */
    deliveredPerSecond?: number;
    cpuUsPerPush?: number;
    receiversCpuUsPerPush?: number;
    loadCpuUsPerPush?: number;
  };
  readonly duplicates?: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '50' },
      requests: { type: 'string', default: '20000' },
      'max-seconds': { type: 'string', default: '5' },
      rounds: { type: 'string', default: '1' },
      modes: { type: 'string', default: 'plain,safe' },
      'drain-seconds': { type: 'string', default: '120' },
      subscribers: { type: 'string', default: '3' },
    },
  });
  const account = { token: TOKEN, encodingAESKey: AES_KEY };
  if (values.serve === 'bare') return serveBare(account);
  if (values.serve === 'fanout') {
    const urls = (process.env.BENCH_FANOUT_URLS ?? '').split(',').filter(Boolean);
    const secrets = receiverSecretsFromEnv();
    return serveBareFanout(
      account,
      urls.map((url, i) => ({ url, secret: secrets[i]! })),
    );
  }
  if (values.serve === 'receivers') return serveWebhookReceivers(receiverSecretsFromEnv());

  const rate = Number(values.rate);
  const fixedCount = Math.round(rate * Number(values.seconds));
  const concurrency = Number(values.concurrency);
  const maxRequests = Number(values.requests);
  const maxMs = Number(values['max-seconds']) * 1000;
  const rounds = Number(values.rounds);
  const drainMs = Number(values['drain-seconds']) * 1000;
  const subscribers = Number(values.subscribers);
  const modes = values.modes!.split(',') as ('plain' | 'safe')[];
  for (const mode of modes) if (!ACCOUNTS[mode]) throw new Error(`--modes: plain or safe, not ${mode}`);

  const servers: ChildServer[] = [];
  try {
    const secrets = Array.from({ length: subscribers }, () => newWebhookSecret());
    // With --subscribers 0 the gateway only receives: what the fan-out costs, by difference.
    const receivers = subscribers > 0 ? await startWebhookReceivers(SELF, secrets) : undefined;
    if (receivers) servers.push(receivers.server);
    const { server: simServer, control } = await startSimChild();
    servers.push(simServer);
    for (const { appid } of Object.values(ACCOUNTS)) await control.createAccount({ appid, secret: SECRET });
    const [first, ...more] = Object.values(ACCOUNTS);
    const gateway = await startHubServer({
      simUrl: simServer.url,
      appid: first!.appid,
      secret: SECRET,
      scopes: ['events'],
      moreAccounts: more.map(({ appid }) => ({ appid, secret: 'env:BENCH_WX_SECRET', tokenMode: 'classic' })),
      config: {
        subscribers: (receivers?.urls ?? []).map((url, i) => ({
          name: `sub${i + 1}`,
          url,
          secret: `env:BENCH_SUB_SECRET_${i}`,
        })),
      },
      env: {
        BENCH_CALLBACK_TOKEN: TOKEN,
        BENCH_AES_KEY: AES_KEY,
        ...Object.fromEntries(secrets.map((secret, i) => [`BENCH_SUB_SECRET_${i}`, secret])),
      },
      callbacks: Object.fromEntries(
        Object.values(ACCOUNTS).map(({ appid, mode }) => [
          appid,
          { token: 'env:BENCH_CALLBACK_TOKEN', encodingAESKey: 'env:BENCH_AES_KEY', mode },
        ]),
      ),
    });
    servers.push(gateway);
    const bare = await startChildServer([SELF, '--serve', 'bare']);
    servers.push(bare);
    const targets: Target[] = [{ name: 'gateway', server: gateway }];
    if (receivers) {
      const fanout = await startChildServer([SELF, '--serve', 'fanout'], {
        env: { BENCH_FANOUT_URLS: receivers.urls.join(','), BENCH_WEBHOOK_SECRETS: secrets.join(',') },
      });
      servers.push(fanout);
      targets.push({ name: 'bare fan-out', server: fanout });
    }
    targets.push({ name: 'bare node:http', server: bare });

    let nextMsgId = BigInt(Date.now()) * 1000n;
    const fresh = (mode: 'plain' | 'safe', count: number): SignedPush[] => {
      const pushes = signedPushes(ACCOUNTS[mode], { count, users: USERS, firstMsgId: nextMsgId });
      nextMsgId += BigInt(count);
      return pushes;
    };
    const isSuccess = (status: number) => status === 200;

    const loadBefore = loadavg().map((v) => round(v, 2));
    process.stdout.write(
      `POST /callback/:appid, ${subscribers} webhook subscribers, SQLite store; fixed ${rate}/s for ${fixedCount} pushes, then closed loop at ${concurrency} (≤ ${maxRequests} pushes, ≤ ${maxMs / 1000} s); modes ${modes.join(', ')}; ${rounds} round(s)\n`,
    );
    const runs: Record<string, Record<string, Measured[]>> = {};
    for (const mode of modes) {
      runs[mode] = Object.fromEntries(targets.map(({ name }) => [name, []]));
      for (let roundNo = 1; roundNo <= rounds; roundNo++) {
        for (const target of roundNo % 2 ? targets : [...targets].reverse()) {
          const delivers = target.name === 'bare node:http' ? undefined : receivers;
          // Warm-up: JIT, connections, the SQLite file's first pages.
          const warm = fresh(mode, 2000);
          const warmRun = await runLoad({
            origin: target.server.url,
            request: (i) => warm[i]!.request(),
            concurrency,
            maxRequests: warm.length,
            durationMs: 2000,
            ok: isSuccess,
          });
          if (warmRun.errors) throw new Error(`${mode} ${target.name}: ${warmRun.errors} failed pushes`);
          if (delivers) await drained(delivers, drainMs, warmRun.requests);
          await receivers?.reset();

          const pushes = fresh(mode, fixedCount);
          const fixedRun = await runOpenLoop({
            origin: target.server.url,
            count: pushes.length,
            request: (i) => pushes[i]!.request(),
            rate,
            ok: isSuccess,
          });
          const fixed: Measured['fixed'] = { ...summarize(fixedRun), rate };
          if (fixedRun.errors) throw new Error(`${mode} ${target.name}: ${fixedRun.errors} failed pushes`);
          let duplicates: number | undefined;
          if (delivers) {
            await drained(delivers, drainMs, fixedCount);
            const fixedLogs = checkedLogs(await delivers.logs());
            const lag = lags(fixedLogs, pushes, fixedRun.answeredAt);
            Object.assign(fixed, lag.summary);
            duplicates = lag.duplicates;
            await delivers.reset();
          }

          const maxPushes = fresh(mode, maxRequests);
          const cpuBefore = processCpuSeconds(target.server.child.pid);
          const receiversCpuBefore = delivers && processCpuSeconds(delivers.server.child.pid);
          const loadCpuBefore = process.cpuUsage();
          const maxRun = summarize(
            await runLoad({
              origin: target.server.url,
              request: (i) => maxPushes[i]!.request(),
              concurrency,
              maxRequests,
              durationMs: maxMs,
              ok: isSuccess,
            }),
          );
          const loadCpu = process.cpuUsage(loadCpuBefore);
          const drainStarted = performance.now();
          const max: Measured['max'] = {
            ...maxRun,
            loadCpuUsPerPush: round((loadCpu.user + loadCpu.system) / maxRun.requests, 1),
          };
          if (maxRun.errors) throw new Error(`${mode} ${target.name}: ${maxRun.errors} failed pushes`);
          if (delivers) {
            await drained(delivers, drainMs, maxRun.requests);
            max.drainSeconds = round((performance.now() - drainStarted) / 1000, 2);
            max.deliveredPerSecond = round(maxRun.requests / (maxRun.seconds + max.drainSeconds), 0);
            const logs = checkedLogs(await delivers.logs());
            duplicates = (duplicates ?? 0) + countDuplicates(logs);
            await delivers.reset();
          }
          const cpuAfter = processCpuSeconds(target.server.child.pid);
          if (cpuBefore !== undefined && cpuAfter !== undefined)
            max.cpuUsPerPush = round(((cpuAfter - cpuBefore) * 1e6) / maxRun.requests, 1);
          const receiversCpuAfter = delivers && processCpuSeconds(delivers.server.child.pid);
          if (receiversCpuBefore !== undefined && receiversCpuAfter !== undefined)
            max.receiversCpuUsPerPush = round(
              ((receiversCpuAfter - receiversCpuBefore) * 1e6) / maxRun.requests,
              1,
            );
          runs[mode]![target.name]!.push({ fixed, max, ...(duplicates === undefined ? {} : { duplicates }) });
          process.stdout.write(
            `  ${mode} round ${roundNo} ${target.name}: ${rate}/s → p99 ${fixed.p99Ms} ms${fixed.lagP99Ms === undefined ? '' : `, lag p99 ${fixed.lagP99Ms} ms`}; max ${maxRun.rps.toLocaleString('en-US')}/s p99 ${maxRun.p99Ms} ms${max.drainSeconds === undefined ? '' : `, drained in ${max.drainSeconds} s`}\n`,
          );
        }
      }
    }

    const rows = modes.flatMap((mode) => {
      const bareRps = median(runs[mode]!['bare node:http']!.map((m) => m.max.rps));
      return targets.map(({ name }) => {
        const list = runs[mode]![name]!;
        const pick = (f: (m: Measured) => number | undefined) => {
          const v = list.map(f).filter((x): x is number => x !== undefined);
          return v.length ? round(median(v), 2) : undefined;
        };
        return {
          mode,
          server: name,
          [`p50 ms @${rate}/s`]: pick((m) => m.fixed.p50Ms),
          [`p99 ms @${rate}/s`]: pick((m) => m.fixed.p99Ms),
          'lag p50 ms': pick((m) => m.fixed.lagP50Ms),
          'lag p99 ms': pick((m) => m.fixed.lagP99Ms),
          'max pushes/s': pick((m) => m.max.rps),
          'p99 ms @max': pick((m) => m.max.p99Ms),
          ratio: round(median(list.map((m) => m.max.rps)) / bareRps, 2),
          'delivered/s': pick((m) => m.max.deliveredPerSecond ?? m.max.rps),
          'delivered ratio': round(
            median(list.map((m) => m.max.deliveredPerSecond ?? m.max.rps)) / bareRps,
            2,
          ),
          'CPU µs/push': pick((m) => m.max.cpuUsPerPush),
          'subscribers CPU µs/push': pick((m) => m.max.receiversCpuUsPerPush),
          'load CPU µs/push': pick((m) => m.max.loadCpuUsPerPush),
          'drain s': pick((m) => m.max.drainSeconds),
        };
      });
    });
    process.stdout.write('\n');
    printTable(rows);
    const gatewayRows = rows.filter((r) => r.server === 'gateway');
    const ackOk = modes.every((mode) => median(runs[mode]!.gateway!.map((m) => m.fixed.p99Ms)) < 100);
    const ratioOk = gatewayRows.every((r) => r.ratio >= 0.5);
    const ceilings = rows.filter((r) => r.server === 'bare fan-out');
    process.stdout.write(
      `\nack p99 at ${rate}/s < 100 ms: ${ackOk ? 'PASS' : 'FAIL'}; gateway / bare ≥ 0.5: ${ratioOk ? 'PASS' : 'FAIL'} (${gatewayRows.map((r) => `${r.mode} ${r.ratio}`).join(', ')})\n`,
    );
    if (ceilings.length)
      process.stdout.write(
        `the ceiling, bare fan-out / bare: ${ceilings.map((r) => `${r.mode} ${r.ratio}`).join(', ')}; gateway / bare fan-out: ${gatewayRows.map((r) => `${r.mode} ${round(r.ratio / ceilings.find((c) => c.mode === r.mode)!.ratio, 2)}`).join(', ')}\n`,
      );
    const file = await writeResults('gateway', {
      loadAverage: { before: loadBefore, after: loadavg().map((v) => round(v, 2)) },
      settings: {
        rate,
        fixedCount,
        concurrency,
        maxRequests,
        maxMs,
        rounds,
        modes,
        subscribers,
        users: USERS,
      },
      targets: { ackP99Ms: 100, ratio: 0.5 },
      passed: { ack: ackOk, ratio: ratioOk },
      ceiling: Object.fromEntries(ceilings.map((r) => [r.mode, r.ratio])),
      summary: rows,
      runs,
    });
    process.stdout.write(`results: ${file}\n`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** Waits until every receiver has `expected` distinct deliveries since its last reset. */
async function drained(receivers: WebhookReceivers, limitMs: number, expected: number): Promise<void> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const counts = await receivers.counts();
    if (counts.every((n) => n >= expected)) return;
    if (performance.now() > deadline)
      throw new Error(`deliveries did not drain in ${limitMs / 1000} s: ${counts.join(', ')} of ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The receivers' logs, refusing a run in which any delivery's signature did not verify. */
function checkedLogs(logs: ReceiverLog[]): ReceiverLog[] {
  const bad = logs.reduce((n, log) => n + log.badSignatures, 0);
  if (bad > 0) throw new Error(`${bad} webhook deliveries failed the Standard Webhooks signature check`);
  return logs;
}

/** Deliveries of an already-delivered webhook-id, over all receivers. */
function countDuplicates(logs: readonly ReceiverLog[]): number {
  return logs.reduce(
    (n, log) => n + log.deliveries.length - new Set(log.deliveries.map((d) => d[0])).size,
    0,
  );
}

/** Answer at the sender → arrival at each subscriber, ms, over every first delivery. */
function lags(
  logs: readonly ReceiverLog[],
  pushes: readonly SignedPush[],
  answeredAt: Float64Array,
): { summary: { lagP50Ms: number; lagP99Ms: number; lagMaxMs: number }; duplicates: number } {
  const answered = new Map(pushes.map((p, i) => [p.msgId, answeredAt[i]!]));
  const values: number[] = [];
  for (const log of logs) {
    const seen = new Set<string>();
    for (const [id, msgId, arrived] of log.deliveries) {
      if (seen.has(id)) continue;
      seen.add(id);
      const at = answered.get(msgId);
      if (at !== undefined && !Number.isNaN(at)) values.push(arrived - at);
    }
  }
  const sorted = Float64Array.from(values).sort();
  return {
    summary: {
      lagP50Ms: round(percentile(sorted, 50), 2),
      lagP99Ms: round(percentile(sorted, 99), 2),
      lagMaxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 2),
    },
    duplicates: countDuplicates(logs),
  };
}

runMain('gateway', main);
