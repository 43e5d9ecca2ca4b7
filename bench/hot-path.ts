/**
 * The warm token read: how many `getAccessToken()` calls per second one process makes once the
 * token is cached, for wxhub and the peers' own warm getters, in the same process and run, rounds
 * alternating the order; the median of the rounds is reported. The simulator (its own process)
 * only serves the first fetch of each library.
 *
 * - wxhub: `WeChatClient.getAccessToken()` on a SqliteStore, cross-process freshness on (change
 *   feed polling, 5 s revalidation): the multi-process setup, not a stripped-down one.
 * - co-wechat-api: `ensureAccessToken()` (what every API method awaits), with its default in-memory
 *   token and with its README's multi-process file getToken/saveToken.
 * - node-easywechat: `getAccessToken().getToken()` (what every API call awaits), with its default
 *   FileCache and with a Map behind its CacheInterface.
 *
 *   node --import tsx bench/hot-path.ts [--rounds 5] [--seconds 2] [--warmup 0.3]
 *
 * Prints a table and writes bench/results/hot-path.json. Target: wxhub ≥ the fastest peer setup.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { writeResults } from './lib/results.js';
import { runMain } from './lib/run-main.js';
import { startSimChild } from './lib/sim-control.js';
import { median, round } from './lib/summary.js';
import { printTable } from './lib/table.js';
import { createAdapter, type PeerAdapter, type PeerSpec } from './peers/index.js';

const SECRET = 'hotpathsecret0000000000000000001';
const BATCH = 1000;

interface Target {
  readonly name: string;
  readonly setup: string;
  readonly adapter: PeerAdapter;
}

/** Awaits `call` back to back for `ms`, in batches (so the clock is read rarely); calls per second. */
async function callsPerSecond(call: () => Promise<unknown>, ms: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < BATCH; i++) await call();
    n += BATCH;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

function tokenOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'accessToken' in value) return String(value.accessToken);
  return undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '0.3' },
    },
  });
  const rounds = Number(values.rounds);
  const durationMs = Number(values.seconds) * 1000;
  const warmupMs = Number(values.warmup) * 1000;

  const dir = await mkdtemp(join(tmpdir(), 'wxhub-hot-path-'));
  const { server, control } = await startSimChild();
  const targets: Target[] = [];
  try {
    const make = async (key: string, peer: PeerSpec['peer'], store: string, setup: string) => {
      const appid = `hot-${key}`;
      await control.createAccount({ appid, secret: SECRET });
      const adapter = createAdapter({ peer, store, appid, secret: SECRET, simUrl: server.url });
      targets.push({ name: peer, setup, adapter });
    };
    await make(
      'wxhub',
      'wxhub',
      `sqlite:${join(dir, 'wxhub.db')}`,
      'WeChatClient, SqliteStore, change feed on',
    );
    await make('co-mem', 'co-wechat-api', 'memory', 'ensureAccessToken(), default in-memory token');
    await make(
      'co-file',
      'co-wechat-api',
      `file:${join(dir, 'co-token.json')}`,
      'ensureAccessToken(), README file getToken/saveToken',
    );
    await make(
      'ew-file',
      'node-easywechat',
      `file:${join(dir, 'ew-cache')}`,
      'getAccessToken().getToken(), default FileCache',
    );
    await make('ew-mem', 'node-easywechat', 'memory', 'getAccessToken().getToken(), Map CacheInterface');

    // Fetch once, then check that the warm call hands back that same token without fetching.
    for (const t of targets) {
      const first = await t.adapter.getToken();
      const warm = tokenOf(await t.adapter.tokenCall());
      if (warm !== first) throw new Error(`${t.name} (${t.setup}): warm call returned another token`);
    }
    const fetchesBefore = (await control.stats()).calls['/cgi-bin/token'] ?? 0;

    process.stdout.write(
      `hot path: warm token calls back to back, ${rounds} rounds of ${durationMs / 1000} s per setup (order rotating), ${warmupMs / 1000} s warm-up each\n`,
    );
    const loadBefore = loadavg();
    const runs = new Map<Target, number[]>(targets.map((t) => [t, []]));
    for (let r = 0; r < rounds; r++) {
      const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
      for (const t of order) {
        await callsPerSecond(t.adapter.tokenCall, warmupMs);
        const cps = await callsPerSecond(t.adapter.tokenCall, durationMs);
        runs.get(t)!.push(cps);
        process.stdout.write(
          `  round ${r + 1} ${t.name} (${t.setup}): ${Math.round(cps).toLocaleString('en-US')} calls/s\n`,
        );
      }
    }
    const fetchesAfter = (await control.stats()).calls['/cgi-bin/token'] ?? 0;
    if (fetchesAfter !== fetchesBefore)
      throw new Error(`${fetchesAfter - fetchesBefore} token fetches during the warm rounds`);

    const load = { before: loadBefore.map((v) => round(v, 2)), after: loadavg().map((v) => round(v, 2)) };
    process.stdout.write(
      `load average (1, 5, 15 min): before ${load.before.join(' ')}, after ${load.after.join(' ')}\n`,
    );
    const medians = new Map(targets.map((t) => [t, median(runs.get(t)!)]));
    const wxhub = medians.get(targets[0]!)!;
    const peers = targets.slice(1);
    const fastest = peers.reduce((a, b) => (medians.get(a)! >= medians.get(b)! ? a : b));
    const rows = targets.map((t) => {
      const list = runs.get(t)!;
      const m = medians.get(t)!;
      return {
        library: t.name,
        setup: t.setup,
        'calls/s (median)': round(m, 0),
        'ns/call': round(1e9 / m, 0),
        'min–max calls/s': `${Math.round(Math.min(...list)).toLocaleString('en-US')}–${Math.round(Math.max(...list)).toLocaleString('en-US')}`,
        'wxhub ÷ this': round(wxhub / m, 2),
      };
    });
    process.stdout.write('\n');
    printTable(rows);
    const ratio = round(wxhub / medians.get(fastest)!, 2);
    process.stdout.write(
      `\nwxhub / fastest peer (${fastest.name}, ${fastest.setup}): ${ratio} (target >= 1): ${ratio >= 1 ? 'MET' : 'NOT MET'}\n`,
    );
    const file = await writeResults('hot-path', {
      settings: { rounds, durationMs, warmupMs, batch: BATCH },
      loadAverage: load,
      target: 'wxhub >= fastest peer',
      ratio,
      fastestPeer: `${fastest.name} (${fastest.setup})`,
      met: ratio >= 1,
      summary: rows,
      runs: Object.fromEntries(
        targets.map((t) => [`${t.name} (${t.setup})`, runs.get(t)!.map((v) => round(v, 0))]),
      ),
    });
    process.stdout.write(`results: ${file}\n`);
  } finally {
    await Promise.all(targets.map((t) => t.adapter.close()));
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runMain('hot-path', main);
