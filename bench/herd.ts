/**
 * The thundering herd at token rotation (issue #3): several OS processes × concurrent callers ×
 * token rotations, against one simulator in its own process, for wxhub and two peer SDKs, each
 * set up with its documented multi-process token sharing. Every caller calls the library's own
 * user-info method, which gets the token and then calls GET /cgi-bin/user/info, as business code
 * does (a token read before it would only add a second, warm read). Between rounds the simulator's
 * virtual clock moves past expiry (7200 s + 10 s: past the instant every library computes,
 * node-easywechat's whole-second cache lifetime with no margin included), and every worker's
 * `Date` is set to the simulator's virtual time, so the three
 * libraries see the expiry identically. Counted per library (each has its own appid): upstream
 * token fetches (from `/__sim/stats`), caller-visible failures (after the library's own retry),
 * fetches per rotation. Run twice: WeChat's 5-minute overlap, then `tokenOverlapSeconds: 0`
 * (every fetch kills the previous token at once).
 *
 *   node --import tsx bench/herd.ts [--processes 4] [--callers 50] [--rounds 3] [--calls 1]
 *                                   [--advance 7210] [--overlaps 300,0] [--redis redis://127.0.0.1:6379/15]
 *
 * Prints a table and writes bench/results/herd.json. Target: wxhub exactly 1 fetch per rotation
 * and 0 failed calls, in both scenarios, on every store.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { writeResults } from './lib/results.js';
import { runMain } from './lib/run-main.js';
import { callsOf, errorsBetween, type SimControl, startSimChild } from './lib/sim-control.js';
import { printTable } from './lib/table.js';
import type { HerdCommand, HerdReport } from './peers/herd-worker.js';
import type { PeerName, PeerSpec } from './peers/types.js';

const WORKER = fileURLToPath(new URL('./peers/herd-worker.ts', import.meta.url));
const SECRET = 'herdsecret00000000000000000000001';
const OPENID = 'oHerdUserAAAAAAAAAAAAAAAAAAA';
const TOKEN_PATH = '/cgi-bin/token';
const USER_PATH = '/cgi-bin/user/info';
const ROUND_TIMEOUT_MS = 60_000;

interface Config {
  readonly key: string;
  readonly peer: PeerName;
  /** How the library shares its token across the processes, for the table. */
  readonly sharing: string;
  readonly store: (dir: string) => string;
  readonly keyPrefix?: string;
}

interface RoundResult {
  readonly round: number;
  readonly fetches: number;
  readonly userInfoCalls: number;
  readonly ok: number;
  readonly failed: number;
  readonly failureCodes: Record<string, number>;
  readonly simErrors: Record<string, number>;
  readonly wallMs: number;
}

interface ConfigResult {
  readonly overlapSeconds: number;
  readonly library: string;
  readonly peer: PeerName;
  readonly sharing: string;
  readonly appid: string;
  readonly fetches: number;
  readonly calls: number;
  readonly failed: number;
  readonly rounds: RoundResult[];
  readonly failureCodes: Record<string, number>;
  readonly simErrors: Record<string, number>;
  readonly error?: string;
}

/** A worker process with a queue of its reports. */
class Worker {
  readonly child: ChildProcess;
  readonly #waiting: Array<(r: HerdReport) => void> = [];
  readonly #queued: HerdReport[] = [];
  readonly exited: Promise<number | null>;

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: { ...process.env, NODE_ENV: 'bench' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.on('message', (report: HerdReport) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(report);
      else this.#queued.push(report);
    });
  }

  next(timeoutMs: number): Promise<HerdReport> {
    const queued = this.#queued.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker ${this.child.pid} silent for ${timeoutMs} ms`)),
        timeoutMs,
      );
      const settle = (r: HerdReport) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.#waiting.push(settle);
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`worker ${this.child.pid} exited with ${code}`));
      });
    });
  }

  send(cmd: HerdCommand): void {
    this.child.send(cmd);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

async function redisReachable(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Deletes this run's keys (and only them) from the Redis database. */
async function cleanRedis(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function codesText(codes: Record<string, number>): string {
  const entries = Object.entries(codes).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([k, v]) => `${k}×${v}`).join(' ') : '-';
}

type Settings = { processes: number; callers: number; rounds: number; calls: number; advance: number };

/** One library (its worker processes already running) in one overlap scenario, on an appid of its own. */
async function runScenario(
  control: SimControl,
  simUrl: string,
  config: Config,
  workers: readonly Worker[],
  overlapSeconds: number,
  dir: string,
  settings: Settings,
): Promise<ConfigResult> {
  const appid = `herd-o${overlapSeconds}-${config.key}`;
  // Quota out of the way: the herd measures fetches and dead tokens, not 45009 (reported separately).
  await control.createAccount({
    appid,
    secret: SECRET,
    tokenOverlapSeconds: overlapSeconds,
    tokenDailyQuota: 10_000_000,
  });
  await control.addUser(appid, { openid: OPENID, subscribeScene: 'ADD_SCENE_QR_CODE' });
  const spec: PeerSpec = {
    peer: config.peer,
    store: config.store(join(dir, `${appid}`)),
    appid,
    secret: SECRET,
    simUrl,
    keyPrefix: config.keyPrefix,
  };
  const rounds: RoundResult[] = [];
  const failureCodes: Record<string, number> = {};
  let error: string | undefined;
  try {
    for (const w of workers) w.send({ type: 'prepare', spec });
    for (const w of workers) {
      const r = await w.next(30_000);
      if (r.type !== 'prepared') throw new Error(`worker sent ${r.type} instead of prepared`);
    }
    for (let round = 1; round <= settings.rounds; round++) {
      const clock = round === 1 ? await control.clock() : await control.advanceClock(settings.advance);
      const before = await control.stats();
      const t0 = performance.now();
      for (const w of workers) {
        w.send({
          type: 'round',
          spec,
          round,
          offsetMs: clock.offsetSeconds * 1000,
          callers: settings.callers,
          calls: settings.calls,
          openid: OPENID,
        });
      }
      const reports = await Promise.all(workers.map((w) => w.next(ROUND_TIMEOUT_MS)));
      const wallMs = performance.now() - t0;
      const after = await control.stats();
      const codes: Record<string, number> = {};
      let ok = 0;
      let failed = 0;
      for (const r of reports) {
        if (r.type !== 'done') throw new Error(`worker sent ${r.type} instead of done`);
        ok += r.ok;
        failed += r.failed;
        add(codes, r.codes);
      }
      add(failureCodes, codes);
      rounds.push({
        round,
        fetches: callsOf(after, appid, TOKEN_PATH) - callsOf(before, appid, TOKEN_PATH),
        userInfoCalls: callsOf(after, appid, USER_PATH) - callsOf(before, appid, USER_PATH),
        ok,
        failed,
        failureCodes: codes,
        simErrors: errorsBetween(before, after),
        wallMs: Math.round(wallMs),
      });
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const simErrors: Record<string, number> = {};
  for (const r of rounds) add(simErrors, r.simErrors);
  return {
    overlapSeconds,
    library: `${config.peer} (${config.sharing})`,
    peer: config.peer,
    sharing: config.sharing,
    appid,
    fetches: rounds.reduce((n, r) => n + r.fetches, 0),
    calls: rounds.reduce((n, r) => n + r.ok + r.failed, 0),
    failed: rounds.reduce((n, r) => n + r.failed, 0),
    rounds,
    failureCodes,
    simErrors,
    ...(error ? { error } : {}),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      processes: { type: 'string', default: '4' },
      callers: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '3' },
      calls: { type: 'string', default: '1' },
      advance: { type: 'string', default: '7210' },
      overlaps: { type: 'string', default: '300,0' },
      redis: { type: 'string', default: 'redis://127.0.0.1:6379/15' },
    },
  });
  const settings = {
    processes: Number(values.processes),
    callers: Number(values.callers),
    rounds: Number(values.rounds),
    calls: Number(values.calls),
    advance: Number(values.advance),
  };
  const overlaps = values.overlaps.split(',').map(Number);
  const redisUrl = values.redis;
  const runId = randomBytes(4).toString('hex');
  const redisPrefix = `wxhub-bench-herd-${runId}:`;
  const withRedis = await redisReachable(redisUrl);

  const configs: Config[] = [
    { key: 'wxhub-sqlite', peer: 'wxhub', sharing: 'one SQLite file', store: (d) => `sqlite:${d}.db` },
    ...(withRedis
      ? [
          {
            key: 'wxhub-redis',
            peer: 'wxhub' as const,
            sharing: 'one Redis',
            store: () => redisUrl,
            keyPrefix: redisPrefix,
          },
        ]
      : []),
    {
      key: 'co-wechat-api',
      peer: 'co-wechat-api',
      sharing: 'README getToken/saveToken, one JSON file',
      store: (d) => `file:${d}.json`,
    },
    {
      key: 'node-easywechat',
      peer: 'node-easywechat',
      sharing: 'default FileCache, one directory',
      store: (d) => `file:${d}-cache`,
    },
  ];

  process.stdout.write(
    `herd: ${settings.processes} processes × ${settings.callers} callers × ${settings.rounds} rotations, ` +
      `${settings.calls} call(s) per caller per rotation, clock +${settings.advance} s between rotations; ` +
      `Redis ${withRedis ? redisUrl : 'not reachable: wxhub on Redis skipped'}\n`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'wxhub-herd-'));
  const { server, control } = await startSimChild();
  const results: ConfigResult[] = [];
  const loadBefore = loadavg();
  try {
    // One set of worker processes per library, serving each overlap scenario in turn.
    for (const config of configs) {
      const workers = Array.from({ length: settings.processes }, () => new Worker());
      try {
        for (const w of workers) {
          const r = await w.next(30_000);
          if (r.type !== 'ready') throw new Error(`worker sent ${r.type} before ready`);
        }
        for (const overlap of overlaps) {
          const result = await runScenario(control, server.url, config, workers, overlap, dir, settings);
          results.push(result);
          process.stdout.write(
            `  overlap ${overlap} s, ${result.library}: ${result.fetches} fetches ` +
              `(${result.rounds.map((r) => r.fetches).join('/')}), ${result.failed}/${result.calls} failed` +
              `${result.error ? `, ERROR ${result.error}` : ''}\n`,
          );
          if (result.error) break;
        }
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
    // The table reads by scenario, the libraries side by side.
    results.sort((a, b) => overlaps.indexOf(a.overlapSeconds) - overlaps.indexOf(b.overlapSeconds));
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
    if (withRedis) await cleanRedis(redisUrl, redisPrefix).catch(() => {});
  }

  const round2 = (v: number) => Math.round(v * 100) / 100;
  const load = { before: loadBefore.map(round2), after: loadavg().map(round2) };
  const rows = results.map((r) => ({
    overlap: `${r.overlapSeconds} s`,
    library: r.peer,
    'token sharing': r.sharing,
    'token fetches': r.fetches,
    'per rotation': r.rounds.map((x) => x.fetches).join(' / '),
    'failed calls': `${r.failed} / ${r.calls}`,
    'failures by code': codesText(r.failureCodes),
    'sim answered': codesText(r.simErrors),
  }));
  process.stdout.write('\n');
  printTable(rows);

  const wxhub = results.filter((r) => r.peer === 'wxhub');
  const met = wxhub.every(
    (r) =>
      !r.error &&
      r.failed === 0 &&
      r.rounds.length === settings.rounds &&
      r.rounds.every((x) => x.fetches === 1),
  );
  // Ratios against the peers, measured in the same run.
  const ratios = overlaps.map((overlap) => {
    const of = (peer: PeerName) => results.find((r) => r.overlapSeconds === overlap && r.peer === peer);
    const base = of('wxhub');
    return {
      overlapSeconds: overlap,
      fetchesVsWxhub: Object.fromEntries(
        (['co-wechat-api', 'node-easywechat'] as const).map((p) => [
          p,
          base && of(p) ? Math.round(((of(p)?.fetches ?? 0) / Math.max(1, base.fetches)) * 10) / 10 : null,
        ]),
      ),
    };
  });
  process.stdout.write(
    `\nwxhub: exactly 1 fetch per rotation and 0 failed calls on every store and overlap: ${met ? 'MET' : 'NOT MET'}\n`,
  );
  for (const r of ratios) {
    process.stdout.write(
      `overlap ${r.overlapSeconds} s: token fetches relative to wxhub — ${Object.entries(r.fetchesVsWxhub)
        .map(([k, v]) => `${k} ${v}×`)
        .join(', ')}\n`,
    );
  }
  const file = await writeResults('herd', {
    settings: { ...settings, overlaps, redis: withRedis ? redisUrl : null },
    loadAverage: load,
    target: 'wxhub: 1 fetch per rotation, 0 failed calls',
    met,
    summary: rows,
    ratios,
    results,
  });
  process.stdout.write(`results: ${file}\n`);
  if (results.some((r) => r.error)) process.exitCode = 1;
}

runMain('herd', main);
