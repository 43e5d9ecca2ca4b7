/**
 * Scale (issue #6): how one hub's token engine grows with the number of accounts. For each N
 * (1k, 10k, 100k) and store, a child process (`bench/scale/worker.ts`, `--expose-gc`) builds a
 * TokenManager as the hub does (proactive refresh by `tick()`), warms every token, then runs a
 * simulated day on a virtual clock, one pass per 60 s step. It reports heap per account (after gc,
 * against a baseline taken before the accounts exist), RSS, warm-up time, refreshes, CPU per
 * refresh and per pass, the price of a pass with nothing due (a hub runs one every second), store
 * calls per refresh, and whether every account's cached token stayed valid beyond the expiry
 * margin at every step.
 *
 * The upstream is in process (bench/scale/in-process-wechat.ts: WeChat's token answer without a
 * socket), so the numbers are wxhub's own cost; a cross-check runs `--sim N` accounts against the
 * real simulator over HTTP, its clock moved with the engine's.
 *
 *   node --import tsx bench/scale.ts [--accounts 1000,10000,100000] [--stores memory,sqlite,redis]
 *        [--redis redis://127.0.0.1:6379/15] [--sim 10000] [--sim-seconds 14400] [--full]
 *
 * Without --full, SQLite and Redis runs of 10k accounts or more, the simulator run and the run
 * with a capped old generation cover 4 simulated hours (the warm-up and two complete rotations of
 * every token) instead of 24, and Redis skips 100k, to keep the bench within about five minutes
 * on two cores; memory-store runs always cover the whole day. Prints a table and writes
 * bench/results/scale.json. Target: under 2 KB of heap per account at 100k, 0 stale accounts.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startChildServer } from './lib/child-server.js';
import { writeResults } from './lib/results.js';
import { printTable } from './lib/table.js';
import { RESULT_PREFIX, SCALE_START, type ScaleDayResult } from './scale/run-day.js';

const WORKER = fileURLToPath(new URL('./scale/worker.ts', import.meta.url));
const SIM_SERVER = fileURLToPath(new URL('./scale/sim-server.ts', import.meta.url));
const DAY_S = 86_400;
const SHORT_WINDOW_S = 4 * 3600;
const TARGET_BYTES_PER_ACCOUNT = 2048;

type Result = ScaleDayResult & {
  readonly upstream: 'in-process' | 'simulator';
  readonly runWallS: number;
  readonly nodeFlags: readonly string[];
};

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1000,10000,100000' },
    stores: { type: 'string', default: 'memory,sqlite,redis' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379/15' },
    sim: { type: 'string', default: '10000' },
    'sim-seconds': { type: 'string' },
    full: { type: 'boolean', default: false },
  },
});
const sizes = values.accounts.split(',').map(Number);
let stores = values.stores.split(',');
if (stores.includes('redis') && !(await redisAnswers(values.redis))) {
  process.stdout.write(`scale: no Redis at ${values.redis}; skipping the redis runs\n`);
  stores = stores.filter((s) => s !== 'redis');
}

interface Run {
  readonly accounts: number;
  readonly store: string;
  readonly durationS: number;
  readonly sim?: boolean;
  /** Node flags for the worker beyond --expose-gc. */
  readonly nodeFlags?: readonly string[];
}
const runs: Run[] = [];
for (const store of stores) {
  for (const accounts of sizes) {
    const short = !values.full && store !== 'memory' && accounts >= 10_000;
    // Redis at 100k is a network round trip per store call: over the budget even for 4 hours.
    if (!values.full && store === 'redis' && accounts >= 100_000) continue;
    runs.push({ accounts, store, durationS: short ? SHORT_WINDOW_S : DAY_S });
  }
}
const largest = Math.max(...sizes);
// RSS is about twice the live heap after a rotation (V8 sizes the old generation from the churn);
// a cap on the old generation, about 1.5 times the live heap, shows what a tight process needs.
const oldSpaceMiB = Math.max(64, Math.ceil((largest * 1.9) / 1024));
if (stores.includes('memory') && largest >= 100_000) {
  runs.push({
    accounts: largest,
    store: 'memory',
    durationS: values.full ? DAY_S : SHORT_WINDOW_S,
    nodeFlags: [`--max-old-space-size=${oldSpaceMiB}`],
  });
}
const simAccounts = Number(values.sim);
if (simAccounts > 0) {
  const durationS = Number(values['sim-seconds'] ?? (values.full ? DAY_S : SHORT_WINDOW_S));
  runs.push({ accounts: simAccounts, store: 'memory', durationS, sim: true });
}

const results: Result[] = [];
/** Runs that did not finish (a worker that ran out of memory, a store that went away). */
const failures: { readonly run: Run; readonly error: string }[] = [];
const started = performance.now();
const loadBefore = loadavg()[0];
for (const run of runs) {
  process.stdout.write(
    `scale: ${run.accounts} accounts, ${run.store} store, ${run.sim ? 'simulator over HTTP' : 'in-process upstream'}, ${run.durationS / 3600} h${run.nodeFlags ? ` ${run.nodeFlags.join(' ')}` : ''} ... `,
  );
  try {
    const result = await runOne(run);
    results.push(result);
    process.stdout.write(`${result.runWallS} s\n`);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    failures.push({ run, error });
    process.stdout.write(`FAILED: ${error}\n`);
  }
}

const rows = results.map((r) => ({
  accounts: r.accounts,
  store: r.nodeFlags.length
    ? `${r.store} ${r.nodeFlags.join(' ').replace('--max-old-space-size=', 'old≤')}M`
    : r.store,
  upstream: r.upstream === 'simulator' ? 'sim/HTTP' : 'in-proc',
  'span h': r.simulatedSeconds / 3600,
  'heap B/acct': r.memory.heapPerAccountDay,
  'RSS MB': Math.round(r.memory.afterDay.rss / 2 ** 20),
  'peak RSS MB': Math.round(r.memory.peakRss / 2 ** 20),
  'warm-up s': round(r.warmup.wallMs / 1000, 1),
  refreshes: r.day.refreshes,
  'max/pass': r.day.maxRefreshesPerTick,
  'CPU µs/refresh': r.day.cpuUsPerRefresh,
  'p99 pass ms': r.day.p99TickMs,
  'max pass ms': Math.round(r.day.maxTickMs),
  'idle pass µs': round(r.idleTick.cpuMs * 1000, 0),
  'CPU ms/sim h': r.cpuMsPerHour,
  'ops/refresh': r.day.storeOpsPerRefresh,
  'loop p99 ms': r.eventLoopDelay.p99Ms,
  stale: r.freshness.staleAccounts,
}));
printTable(rows);
const atLargest = results.filter((r) => r.accounts === largest && r.upstream === 'in-process');
const worstHeap = Math.max(...atLargest.map((r) => r.memory.heapPerAccountDay));
const stale = results.reduce((sum, r) => sum + r.freshness.staleAccounts, 0);
for (const { run, error } of failures) {
  process.stdout.write(
    `failed: ${run.accounts} accounts, ${run.store}, ${run.nodeFlags?.join(' ') ?? ''}: ${error}\n`,
  );
}
process.stdout.write(
  `heap per account at ${largest} accounts: at most ${worstHeap} B (target < ${TARGET_BYTES_PER_ACCOUNT} B: ${
    worstHeap < TARGET_BYTES_PER_ACCOUNT ? 'met' : 'NOT met'
  }); stale accounts over all runs: ${stale}; bench wall ${round((performance.now() - started) / 1000, 0)} s\n`,
);
// Ratios inside this run: growth from the smallest to the largest N on the memory store, and the
// engine's own CPU per refresh against the same refresh over HTTP to the simulator.
const memoryRun = (n: number) =>
  results.find(
    (r) => r.accounts === n && r.store === 'memory' && r.upstream === 'in-process' && !r.nodeFlags.length,
  );
const smallest = Math.min(...sizes);
const [low, high] = [memoryRun(smallest), memoryRun(largest)];
const simRun = results.find((r) => r.upstream === 'simulator');
const inProcessAtSim = simRun && memoryRun(simRun.accounts);
const ratios = {
  accounts: largest / smallest,
  ...(low && high
    ? {
        heapPerAccount: round(high.memory.heapPerAccountDay / low.memory.heapPerAccountDay, 2),
        cpuPerRefresh: round(high.day.cpuUsPerRefresh / low.day.cpuUsPerRefresh, 2),
        idlePass: round(high.idleTick.cpuMs / low.idleTick.cpuMs, 2),
        cpuPerHour: round(high.cpuMsPerHour / low.cpuMsPerHour, 1),
      }
    : {}),
  ...(simRun?.day.cpuUsPerRefresh && inProcessAtSim
    ? { engineShareOfHttpRefresh: round(inProcessAtSim.day.cpuUsPerRefresh / simRun.day.cpuUsPerRefresh, 2) }
    : {}),
};
process.stdout.write(
  `ratios (${largest} vs ${smallest} accounts, memory store): ${JSON.stringify(ratios)}\n`,
);
const file = await writeResults('scale', {
  command: `node --import tsx bench/scale.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  method: {
    engine: 'TokenManager as createHub builds it (stable tokens, default margins), proactive pass by tick()',
    clock: 'ManualClock, start 2026-03-02T01:00Z (09:00 Beijing), one pass per 60 s step after warm-up',
    upstream:
      'in-process HttpClient answering stable_token/token (no socket, no per-account state), or the simulator over HTTP with a frozen base clock moved in step',
    memory:
      'heapUsed after two gc() runs, (after the run - before the accounts existed) / accounts; RSS likewise; child process per run',
    cpuPerHour:
      'CPU of the passes over the span + an idle pass for every other second (a hub ticks every 1 s), per simulated hour',
    freshness:
      'after every pass, every account: cached token valid beyond the 60 s expiry margin (tracked from status() after each refresh, full status() sweep hourly)',
  },
  targetBytesPerAccount: TARGET_BYTES_PER_ACCOUNT,
  loadAverage: { before: round(loadBefore ?? 0, 2), after: round(loadavg()[0] ?? 0, 2) },
  ratios,
  rows,
  failures,
  results,
});
process.stdout.write(`wrote ${file}\n`);
if (failures.length) process.exitCode = 1;

async function runOne(run: Run): Promise<Result> {
  const t0 = performance.now();
  const sim = run.sim
    ? await startChildServer(
        [SIM_SERVER, '--accounts', String(run.accounts), '--start', String(SCALE_START)],
        {
          timeoutMs: 60_000,
        },
      )
    : undefined;
  try {
    const args = [
      '--expose-gc',
      ...(run.nodeFlags ?? []),
      '--import',
      'tsx',
      WORKER,
      '--accounts',
      String(run.accounts),
      '--store',
      run.store,
      '--redis',
      values.redis,
      '--duration',
      String(run.durationS),
      '--upstream',
      sim ? sim.url : 'in-process',
    ];
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`scale worker ${args.join(' ')} exited ${code}`)),
      );
    });
    const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
    if (!line) throw new Error(`scale worker printed no result:\n${out}`);
    const result = JSON.parse(line.slice(RESULT_PREFIX.length)) as Result;
    return { ...result, nodeFlags: run.nodeFlags ?? [], runWallS: round((performance.now() - t0) / 1000, 1) };
  } finally {
    await sim?.stop();
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
