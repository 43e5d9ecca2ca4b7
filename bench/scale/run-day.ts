import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { HttpClient } from '../../src/http/index.js';
import type { Store } from '../../src/store/store.js';
import type { AccountSpec } from '../../src/tokens/account.js';
import { type RefreshEvent, TokenManager, type UpstreamEvent } from '../../src/tokens/token-manager.js';
import type { ManualClock } from '../../src/util/clock.js';
import type { Endpoints } from '../../src/wechat/paths.js';
import { CountingStore, STORE_OPS, type StoreOp } from './counting-store.js';

/** The engine's defaults, restated: a token closer than this to expiry is not handed out. */
const EXPIRY_MARGIN_MS = 60_000;
const HOUR_MS = 3_600_000;

/** Where the upstream token endpoints are, and how to move their clock with the engine's. */
export interface ScaleUpstream {
  readonly http: HttpClient;
  readonly endpoints: Endpoints;
  /** Moves the upstream's virtual clock (the simulator's); the in-process upstream has none. */
  readonly advance?: (seconds: number) => Promise<void>;
}

export interface ScaleDayOptions {
  readonly accounts: number;
  readonly store: Store;
  readonly clock: ManualClock;
  readonly upstream: ScaleUpstream;
  /** Simulated time between two proactive passes, s. Default 60. */
  readonly stepSeconds?: number;
  /** Simulated time to run after warm-up, s. Default 86400 (a day). */
  readonly durationSeconds?: number;
  /** `global.gc` (run with --expose-gc); without it heap figures include garbage. */
  readonly gc?: () => void;
  /** Full sweeps of `status()` over every account, every this many steps. Default 60 (hourly). */
  readonly sweepEvery?: number;
}

/** A memory reading, bytes. */
export interface MemoryPoint {
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly rss: number;
  readonly external: number;
}

export interface ScaleDayResult {
  readonly accounts: number;
  readonly store: string;
  readonly stepSeconds: number;
  readonly simulatedSeconds: number;
  readonly memory: {
    readonly baseline: MemoryPoint;
    readonly loaded: MemoryPoint;
    readonly warm: MemoryPoint;
    readonly afterDay: MemoryPoint;
    /** (warm − baseline) heap / accounts. */
    readonly heapPerAccountWarm: number;
    /** (afterDay − baseline) heap / accounts: what a hub that has run a day holds. */
    readonly heapPerAccountDay: number;
    readonly rssPerAccountDay: number;
    /** Largest RSS of the process over the whole run, bytes. */
    readonly peakRss: number;
  };
  readonly warmup: {
    readonly wallMs: number;
    readonly cpuMs: number;
    readonly fetched: number;
    readonly failed: number;
    readonly storeOps: number;
    /** Upstream token calls made, and those that failed (timeouts, errcodes) and were retried. */
    readonly upstreamCalls: number;
    readonly upstreamFailures: number;
  };
  readonly day: {
    readonly ticks: number;
    readonly refreshes: number;
    readonly failed: number;
    readonly upstreamCalls: number;
    readonly upstreamFailures: number;
    /** Most refreshes one pass started. */
    readonly maxRefreshesPerTick: number;
    readonly cpuMs: number;
    readonly wallMs: number;
    readonly p50TickMs: number;
    readonly p99TickMs: number;
    readonly maxTickMs: number;
    readonly cpuUsPerRefresh: number;
    readonly storeOps: number;
    readonly storeOpsByMethod: Partial<Record<StoreOp, number>>;
    readonly storeOpsPerRefresh: number;
  };
  /**
   * How late the event loop ran timers while the day's passes ran, ms: what a request arriving
   * during a burst of refreshes would wait (sampled every 5 ms; includes GC pauses).
   */
  readonly eventLoopDelay: { readonly p99Ms: number; readonly maxMs: number };
  /** One pass with nothing due: the price of tick() itself, paid every second by a hub. */
  readonly idleTick: { readonly wallMs: number; readonly cpuMs: number };
  /**
   * What a hub (one pass a second) spends per simulated hour: the day's passes plus idle passes
   * for the other seconds, ms of CPU.
   */
  readonly cpuMsPerHour: number;
  readonly freshness: {
    /** Checks of every account (one per step, plus one after warm-up). */
    readonly checks: number;
    /** Of which full sweeps of `status()` (the others read the tracked expiries). */
    readonly sweeps: number;
    /** Accounts whose tracked expiry differed from `status()` at a sweep (0: the tracking is exact). */
    readonly trackingMismatches: number;
    /** Accounts that were, at some check, without a token valid beyond the expiry margin. */
    readonly staleAccounts: number;
    readonly staleObservations: number;
    /** Least time left before expiry seen at any check, s. */
    readonly minSecondsLeft: number;
  };
}

function memory(gc: (() => void) | undefined): MemoryPoint {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function nearestRank(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Every run starts at 09:00 Beijing time, so a simulated day crosses one quota-day boundary. */
export const SCALE_START = Date.UTC(2026, 2, 2, 1, 0, 0);
/** A worker prints its result as one stdout line with this prefix. */
export const RESULT_PREFIX = 'RESULT ';

/** Account `i`'s appid: `wx` and 16 hex digits, like WeChat's. */
export const scaleAppid = (i: number): string => `wx${i.toString(16).padStart(16, '0')}`;
export const scaleSecret = (i: number): string => `s${i.toString(16).padStart(31, '0')}`;
const indexOf = (appid: string): number => Number.parseInt(appid.slice(2), 16);

/**
 * One hub's token engine with `accounts` accounts over a simulated day, on a virtual clock: load,
 * warm every token (the first pass), then one `tick()` per step. Measures heap per account (after
 * gc, against a baseline taken before the accounts exist), CPU and wall time per pass, store calls
 * per refresh (on a counting wrapper), and after every pass whether each account's cached token
 * is still valid beyond the expiry margin.
 *
 * Freshness is checked on every account after every pass without calling `status()` N times per
 * step (144 M calls a day at 100k, more than the bench's budget): each account's cached expiry is
 * tracked from `status()` read once after each of its refreshes (the `refresh` events say which),
 * and a full sweep of `status()` every `sweepEvery` steps and at the end checks that tracking.
 */
export async function runScaleDay(options: ScaleDayOptions): Promise<ScaleDayResult> {
  const n = options.accounts;
  const step = options.stepSeconds ?? 60;
  const duration = options.durationSeconds ?? 86_400;
  const steps = Math.ceil(duration / step);
  const { clock, upstream, gc } = options;
  const sweepEvery = options.sweepEvery ?? 60;
  const store = new CountingStore(options.store);
  // Everything of the bench's own that grows with N is allocated before the baseline.
  const tickMs = new Float64Array(steps);
  const appids: string[] = new Array(n);
  for (let i = 0; i < n; i++) appids[i] = scaleAppid(i);
  const everStale = new Uint8Array(n);
  const expiresAt = new Float64Array(n);
  /** Accounts refreshed during the current pass (indices), to re-read their expiry after it. */
  const touched = new Int32Array(n);
  let touchedCount = 0;
  const counts = { fetched: 0, failed: 0, calls: 0, callFailures: 0 };
  const onUpstream = (e: UpstreamEvent) => {
    counts.calls++;
    if (e.errcode !== 0) counts.callFailures++;
  };
  const onRefresh = (e: RefreshEvent) => {
    if (e.outcome === 'fetched') counts.fetched++;
    else counts.failed++;
    if (e.kind === 'access_token' && touchedCount < n) touched[touchedCount++] = indexOf(e.appid);
  };

  const baseline = memory(gc);
  let specs: AccountSpec[] | undefined = new Array(n);
  for (let i = 0; i < n; i++) specs[i] = { appid: appids[i]!, secret: scaleSecret(i), tokenMode: 'stable' };
  const manager = new TokenManager({
    store,
    accounts: specs,
    http: upstream.http,
    endpoints: upstream.endpoints,
    clock,
  });
  specs = undefined;
  manager.on('refresh', onRefresh);
  manager.on('upstream', onUpstream);
  await manager.ready();
  const loaded = memory(gc);

  let staleObservations = 0;
  let minLeftMs = Number.POSITIVE_INFINITY;
  let checks = 0;
  let sweeps = 0;
  let mismatches = 0;
  const expiryOf = (i: number) => manager.status(appids[i]!).token?.expiresAt ?? Number.NEGATIVE_INFINITY;
  const checkFreshness = (sweep: boolean) => {
    for (let t = 0; t < touchedCount; t++) expiresAt[touched[t]!] = expiryOf(touched[t]!);
    touchedCount = 0;
    checks++;
    if (sweep) sweeps++;
    const now = clock.now();
    for (let i = 0; i < n; i++) {
      if (sweep) {
        const actual = expiryOf(i);
        if (actual !== expiresAt[i]) {
          mismatches++;
          expiresAt[i] = actual;
        }
      }
      const left = expiresAt[i]! - now;
      if (left < minLeftMs) minLeftMs = left;
      if (left <= EXPIRY_MARGIN_MS) {
        staleObservations++;
        everStale[i] = 1;
      }
    }
  };

  // Warm-up: the hub's first pass fetches every missing token.
  const warmOps = store.total();
  let c0 = cpuMs();
  let t0 = performance.now();
  await manager.tick();
  const warmup = {
    wallMs: round(performance.now() - t0),
    cpuMs: round(cpuMs() - c0),
    fetched: counts.fetched,
    failed: counts.failed,
    storeOps: store.total() - warmOps,
    upstreamCalls: counts.calls,
    upstreamFailures: counts.callFailures,
  };
  expiresAt.fill(Number.NEGATIVE_INFINITY);
  checkFreshness(true);
  mismatches = 0; // the first sweep fills the table
  const warm = memory(gc);

  counts.fetched = 0;
  counts.failed = 0;
  counts.calls = 0;
  counts.callFailures = 0;
  const opsBefore = store.snapshot();
  // Sampled only while a pass runs: the bench's own freshness checks are not the engine's delay.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  let dayCpu = 0;
  let dayWall = 0;
  let maxPerTick = 0;
  for (let s = 0; s < steps; s++) {
    clock.advance(step * 1000);
    await upstream.advance?.(step);
    const before = counts.fetched + counts.failed;
    c0 = cpuMs();
    t0 = performance.now();
    loopDelay.enable();
    await manager.tick();
    loopDelay.disable();
    const wall = performance.now() - t0;
    dayCpu += cpuMs() - c0;
    dayWall += wall;
    tickMs[s] = wall;
    maxPerTick = Math.max(maxPerTick, counts.fetched + counts.failed - before);
    checkFreshness((s + 1) % sweepEvery === 0 || s === steps - 1);
  }
  const opsByMethod: Partial<Record<StoreOp, number>> = {};
  let dayOps = 0;
  for (const op of STORE_OPS) {
    const d = store.counts[op] - opsBefore[op];
    if (d) opsByMethod[op] = d;
    dayOps += d;
  }

  // Idle passes: nothing is due right after a pass.
  const idleRuns = 30;
  c0 = cpuMs();
  t0 = performance.now();
  for (let i = 0; i < idleRuns; i++) await manager.tick();
  const idleTick = { wallMs: (performance.now() - t0) / idleRuns, cpuMs: (cpuMs() - c0) / idleRuns };
  const afterDay = memory(gc);

  await manager.close();
  const sorted = tickMs.slice().sort();
  const refreshes = counts.fetched;
  const hours = (steps * step * 1000) / HOUR_MS;
  const idlePassesPerHour = Math.max(0, 3600 - 3600 / step);
  let staleAccounts = 0;
  for (let i = 0; i < n; i++) staleAccounts += everStale[i]!;
  return {
    accounts: n,
    store: options.store.kind,
    stepSeconds: step,
    simulatedSeconds: steps * step,
    memory: {
      baseline,
      loaded,
      warm,
      afterDay,
      heapPerAccountWarm: round((warm.heapUsed - baseline.heapUsed) / n, 0),
      heapPerAccountDay: round((afterDay.heapUsed - baseline.heapUsed) / n, 0),
      rssPerAccountDay: round((afterDay.rss - baseline.rss) / n, 0),
      peakRss: process.resourceUsage().maxRSS * 1024,
    },
    warmup,
    day: {
      ticks: steps,
      refreshes,
      failed: counts.failed,
      upstreamCalls: counts.calls,
      upstreamFailures: counts.callFailures,
      maxRefreshesPerTick: maxPerTick,
      cpuMs: round(dayCpu),
      wallMs: round(dayWall),
      p50TickMs: round(nearestRank(sorted, 50), 3),
      p99TickMs: round(nearestRank(sorted, 99), 3),
      maxTickMs: round(sorted[sorted.length - 1] ?? 0, 3),
      cpuUsPerRefresh: refreshes ? round(((dayCpu - steps * idleTick.cpuMs) * 1000) / refreshes) : 0,
      storeOps: dayOps,
      storeOpsByMethod: opsByMethod,
      storeOpsPerRefresh: refreshes ? round(dayOps / refreshes, 2) : 0,
    },
    eventLoopDelay: {
      p99Ms: round(loopDelay.percentile(99) / 1e6, 1),
      maxMs: round(loopDelay.max / 1e6, 1),
    },
    idleTick: { wallMs: round(idleTick.wallMs, 3), cpuMs: round(idleTick.cpuMs, 3) },
    cpuMsPerHour: round(dayCpu / hours + idlePassesPerHour * idleTick.cpuMs, 0),
    freshness: {
      checks,
      sweeps,
      trackingMismatches: mismatches,
      staleAccounts,
      staleObservations,
      minSecondsLeft: round(minLeftMs / 1000, 0),
    },
  };
}
