import { percentile, round } from '../lib/summary.js';
import { formatTable } from '../lib/table.js';
import type { BalancerStats } from './balancer.js';
import type { FailureClass } from './classify.js';
import type { CallRecord } from './clients-process.js';
import type { ClockStats } from './clock-driver.js';
import type { HubRefreshEvent } from './fleet.js';
import type { ChaosOptions } from './harness.js';
import { accountFetches, type FetchAccounting, type SimLedger } from './ledger.js';
import type { ListedFault } from './sim-client.js';

export interface PhaseRecord {
  readonly phase: string;
  /** Real seconds since the run started. */
  readonly startS: number;
  readonly endS: number;
  /** Beijing wall time of the virtual clock. */
  readonly virtualStart: string;
  readonly virtualEnd: string;
  readonly events: string[];
}

export interface ReportInput {
  readonly options: ChaosOptions;
  readonly realSeconds: number;
  readonly virtualStart: number;
  readonly virtualEnd: number;
  /** The Beijing midnight the quota-exhausted phase crosses. */
  readonly midnight: number;
  readonly accounts: { readonly classic: string; readonly stable: string };
  readonly calls: readonly CallRecord[];
  readonly shed: number;
  readonly abandoned: number;
  readonly ledger: SimLedger;
  readonly rogueHashes: ReadonlySet<string>;
  readonly kills: readonly number[];
  /** The faults as listed just before they were removed, with their hits. */
  readonly faults: readonly ListedFault[];
  readonly refreshes: readonly HubRefreshEvent[];
  readonly balancer: BalancerStats;
  readonly clock: ClockStats;
  readonly timeline: readonly PhaseRecord[];
  readonly quotaLimits: readonly { at: string; limit: number; why: string }[];
  readonly hubStarts: number;
  readonly logDir: string;
}

export interface CallStats {
  made: number;
  ok: number;
  failed: number;
  wechat: number;
  wechatToken: number;
  wxhub: number;
  tokenInvalid: number;
}

export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

export interface ChaosReport {
  readonly options: Omit<ChaosOptions, 'log'>;
  readonly realSeconds: number;
  readonly logDir: string;
  readonly virtual: { start: string; end: string; hours: number; expiries: number };
  readonly timeline: readonly PhaseRecord[];
  readonly calls: {
    readonly total: CallStats;
    readonly byKind: Record<string, CallStats>;
    readonly byPhase: Record<string, CallStats>;
    readonly shed: number;
    readonly abandoned: number;
    /** Failures by class and code. */
    readonly codes: Record<string, Record<string, number>>;
    /** A few failures of each class, as the caller saw them. */
    readonly samples: Record<string, string[]>;
  };
  readonly latencyMs: Record<'all' | 'succeeded' | 'sdk' | 'drop-in', Latency>;
  readonly injected: {
    readonly userInfo: number;
    readonly tokenEndpoints: number;
    readonly faults: ListedFault[];
  };
  readonly fetches: { readonly classic: FetchAccounting; readonly stable: FetchAccounting };
  readonly quota: {
    readonly usedByDay: Record<string, number>;
    readonly limits: readonly { at: string; limit: number; why: string }[];
  };
  readonly hubRefreshes: Record<string, number>;
  readonly balancer: BalancerStats;
  readonly clock: ClockStats;
  readonly incidents: { kills: number; hubStarts: number; redisRestarts: number; rogueFetches: number };
  readonly targets: readonly Check[];
  readonly coverage: readonly Check[];
}

const newStats = (): CallStats => ({
  made: 0,
  ok: 0,
  failed: 0,
  wechat: 0,
  wechatToken: 0,
  wxhub: 0,
  tokenInvalid: 0,
});

function count(stats: CallStats, call: CallRecord): void {
  stats.made++;
  const f = call.failure;
  if (!f) {
    stats.ok++;
    return;
  }
  stats.failed++;
  if (f.class === 'wechat') stats.wechat++;
  else if (f.class === 'wechat-token') stats.wechatToken++;
  else stats.wxhub++;
  if (f.tokenInvalid) stats.tokenInvalid++;
}

function latency(values: number[]): Latency {
  const sorted = Float64Array.from(values).sort();
  return {
    p50: round(percentile(sorted, 50), 1),
    p99: round(percentile(sorted, 99), 1),
    max: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN, 1),
  };
}

/** `map[key]`, created by `make` when missing. */
function entry<T>(map: Record<string, T>, key: string, make: () => T): T {
  const found = map[key];
  if (found !== undefined) return found;
  const made = make();
  map[key] = made;
  return made;
}

const QUOTA_REFUSED = (e: HubRefreshEvent) =>
  e.outcome === 'failed' && (e.errcode === 45009 || e.error === 'WXHUB_ERR_QUOTA_EXHAUSTED');

/** Turns what the run recorded into the report, the targets and the coverage checks. */
export function buildReport(input: ReportInput): ChaosReport {
  const { calls, accounts, midnight } = input;
  const total = newStats();
  const byKind: Record<string, CallStats> = {};
  const byPhase: Record<string, CallStats> = {};
  const codes: Record<string, Record<string, number>> = {};
  const samples: Record<string, string[]> = {};
  for (const call of calls) {
    count(total, call);
    count(entry(byKind, call.kind, newStats), call);
    count(entry(byPhase, call.phase, newStats), call);
    const f = call.failure;
    if (f) {
      const byCode = entry(codes, f.class, (): Record<string, number> => ({}));
      byCode[f.code] = (byCode[f.code] ?? 0) + 1;
      const list = entry(samples, f.class, (): string[] => []);
      // WeChat's own failures are many and alike; anything else is listed in full (up to 200).
      if (list.length < (f.class === 'wechat' ? 8 : 200))
        list.push(`${call.phase} ${call.kind} ${call.appid}: ${f.code} ${f.detail}`);
    }
  }
  const ms = (filter: (c: CallRecord) => boolean) => latency(calls.filter(filter).map((c) => c.ms));

  const hits = (path: string) =>
    input.faults.filter((f) => f.path === path && f.delayMs === undefined).reduce((n, f) => n + f.hits, 0);
  const userInfoHits = hits('/cgi-bin/user/info');
  const tokenHits = hits('/cgi-bin/token') + hits('/cgi-bin/stable_token');

  const fetchesOf = (appid: string, mode: 'classic' | 'stable') =>
    accountFetches(input.ledger.entries, { appid, mode, rogueHashes: input.rogueHashes, kills: input.kills });
  const fetches = {
    classic: fetchesOf(accounts.classic, 'classic'),
    stable: fetchesOf(accounts.stable, 'stable'),
  };

  const hubRefreshes: Record<string, number> = {};
  for (const e of input.refreshes) {
    const k = `${e.appid === accounts.classic ? 'classic' : 'stable'} ${e.reason} ${e.outcome}${
      e.outcome === 'failed' ? ` (${e.error ?? e.errcode ?? '?'})` : ''
    }`;
    hubRefreshes[k] = (hubRefreshes[k] ?? 0) + 1;
  }
  const refusals = input.refreshes.filter(QUOTA_REFUSED);
  const expiredRefreshes = input.refreshes.filter((e) => e.reason === 'expired');
  const refusalsOutside = refusals.filter((e) => e.at < midnight - 600_000 || e.at >= midnight);
  const quotaFailures = calls.filter(
    (c) => c.failure && (c.failure.code === '45009' || c.failure.code === 'WXHUB_ERR_QUOTA_EXHAUSTED'),
  ).length;
  const fetchedAfterMidnight = input.ledger.entries.some(
    (e) => e.appid === accounts.classic && e.at >= midnight && !input.rogueHashes.has(e.hash),
  );

  const { rounds, killAtRefresh } = input.options;
  const spanSeconds = (input.virtualEnd - input.virtualStart) / 1000;
  const expiries = Math.floor(spanSeconds / 7200);
  const describe = (f: FetchAccounting) =>
    `${f.mode}: ${f.hubFetches} fetches = ${f.verdicts.initial} initial + ${f.verdicts.rotation} rotations + ` +
    `${f.verdicts.forced} forced by others + ${f.verdicts['lost-to-kill']} lost to a kill + ${f.verdicts.wasted} wasted`;

  const targets: Check[] = [
    {
      name: 'no caller-visible 40001',
      pass: total.tokenInvalid === 0,
      detail: `${total.tokenInvalid} calls saw 40001/40014/42001`,
    },
    {
      name: 'failed calls only where WeChat itself kept failing',
      pass: total.wxhub === 0 && total.wechat <= userInfoHits,
      detail:
        `${total.wxhub} wxhub failures; ${total.wechat} WeChat's own on user/info (${userInfoHits} faults injected there); ` +
        `${total.wechatToken} where WeChat's token endpoint failed past the retry budget`,
    },
    {
      name: 'fetches ≤ rotations + restarts',
      pass: fetches.classic.verdicts.wasted === 0 && fetches.stable.verdicts.wasted === 0,
      detail: `${describe(fetches.classic)}; ${describe(fetches.stable)}`,
    },
    {
      name: 'rotations ahead of expiry: no caller waited on an expired token',
      pass: expiredRefreshes.length === 0,
      detail: `${expiredRefreshes.length} refreshes of a token past its last minute (reason "expired"); every other rotation was proactive or forced`,
    },
    {
      name: 'quota: never ran out; cached token served while exhausted',
      pass: quotaFailures === 0 && refusalsOutside.length === 0,
      detail:
        `${quotaFailures} calls failed for quota; ${refusals.length} refreshes refused for quota, ` +
        `${refusalsOutside.length} of them outside the last 10 minutes before midnight`,
    },
  ];

  const FAULT_PATHS = ['/cgi-bin/token', '/cgi-bin/stable_token', '/cgi-bin/user/info'];
  const hitsByPath = FAULT_PATHS.map((p) => `${p} ${hits(p)}`).join(', ');
  const coverage: Check[] = [
    {
      name: 'virtual clock ran through the planned expiries',
      pass: expiries >= rounds + 1,
      detail: `${round(spanSeconds / 3600, 1)} virtual hours: ${expiries} × 7200 s`,
    },
    {
      name: 'every incident happened',
      pass: input.kills.length === rounds * (killAtRefresh ? 2 : 1) && input.rogueHashes.size === 2 * rounds,
      detail: `${input.kills.length} SIGKILLs, ${rounds} Redis restarts, ${input.rogueHashes.size} rogue fetches`,
    },
    {
      name: 'faults reached every endpoint',
      pass: FAULT_PATHS.every((p) => hits(p) > 0),
      detail: `faults injected: ${hitsByPath}`,
    },
    {
      name: 'quota phase exhausted the quota, then recovered after midnight',
      pass: refusals.length > 0 && fetchedAfterMidnight,
      detail: `${refusals.length} refreshes refused; fetched after midnight: ${fetchedAfterMidnight}`,
    },
    {
      name: 'steady load: no call shed or left unanswered',
      pass: input.shed === 0 && input.abandoned === 0 && total.made > 0,
      detail: `${total.made} calls, ${input.shed} shed, ${input.abandoned} unanswered at the end`,
    },
  ];

  const { log: _log, ...options } = input.options;
  return {
    options,
    realSeconds: input.realSeconds,
    logDir: input.logDir,
    virtual: {
      start: new Date(input.virtualStart).toISOString(),
      end: new Date(input.virtualEnd).toISOString(),
      hours: round(spanSeconds / 3600, 2),
      expiries,
    },
    timeline: input.timeline,
    calls: { total, byKind, byPhase, shed: input.shed, abandoned: input.abandoned, codes, samples },
    latencyMs: {
      all: ms(() => true),
      succeeded: ms((c) => !c.failure),
      sdk: ms((c) => c.kind === 'sdk'),
      'drop-in': ms((c) => c.kind === 'drop-in'),
    },
    injected: { userInfo: userInfoHits, tokenEndpoints: tokenHits, faults: [...input.faults] },
    fetches,
    quota: { usedByDay: { ...(input.ledger.quota[accounts.classic] ?? {}) }, limits: input.quotaLimits },
    hubRefreshes,
    balancer: input.balancer,
    clock: input.clock,
    incidents: {
      kills: input.kills.length,
      hubStarts: input.hubStarts,
      redisRestarts: rounds,
      rogueFetches: input.rogueHashes.size,
    },
    targets,
    coverage,
  };
}

/** The report as text: calls, fetches, phases, then PASS/FAIL per target. */
export function formatReport(report: ChaosReport): string {
  const out: string[] = [];
  const row = (name: string, s: CallStats, l?: Latency) => ({
    clients: name,
    calls: s.made,
    ok: s.ok,
    failed: s.failed,
    "WeChat's own": s.wechat,
    'WeChat token endpoint': s.wechatToken,
    wxhub: s.wxhub,
    '40001 seen': s.tokenInvalid,
    'p50 ms': l?.p50,
    'p99 ms': l?.p99,
  });
  const { calls, latencyMs } = report;
  out.push(
    formatTable([
      row('SDK (WeChatClient + HubTokenProvider)', calls.byKind.sdk ?? newStats(), latencyMs.sdk),
      row(
        'drop-in (legacy HTTP through the proxy)',
        calls.byKind['drop-in'] ?? newStats(),
        latencyMs['drop-in'],
      ),
      row('all', calls.total, latencyMs.all),
    ]),
  );
  out.push(`p50/p99 of successful calls: ${latencyMs.succeeded.p50} / ${latencyMs.succeeded.p99} ms`);
  out.push('');
  const fetchRow = (f: FetchAccounting, days: string) => ({
    account: f.mode,
    'hub fetches': f.hubFetches,
    initial: f.verdicts.initial,
    rotations: f.verdicts.rotation,
    'forced by rogue': f.verdicts.forced,
    'lost to kill': f.verdicts['lost-to-kill'],
    wasted: f.verdicts.wasted,
    'allowed (rot.+restarts)': f.needed + f.verdicts['lost-to-kill'],
    'rogue fetches': f.rogueFetches,
    'tokens lost': f.tokensLost,
    'quota used/day': days,
  });
  const days = Object.entries(report.quota.usedByDay)
    .map(([d, n]) => `${d.slice(5)}: ${n}`)
    .join(', ');
  out.push(formatTable([fetchRow(report.fetches.classic, days), fetchRow(report.fetches.stable, 'n/a')]));
  out.push('');
  out.push(
    formatTable(
      report.timeline.map((p) => {
        const s = calls.byPhase[p.phase] ?? newStats();
        return {
          phase: p.phase,
          'real s': `${p.startS}-${p.endS}`,
          'virtual (Beijing)': `${p.virtualStart.slice(5, 16)} → ${p.virtualEnd.slice(5, 16)}`,
          calls: s.made,
          failed: s.failed,
          "WeChat's own": s.wechat,
          'token ep.': s.wechatToken,
          wxhub: s.wxhub,
        };
      }),
    ),
  );
  out.push('');
  out.push(
    `virtual clock: ${report.virtual.hours} h (${report.virtual.expiries} × 7200 s) in ${report.realSeconds} s; ` +
      `faults injected: ${report.injected.tokenEndpoints} on token endpoints, ${report.injected.userInfo} on user/info; ` +
      `balancer re-sent ${report.balancer.retried} requests (${report.balancer.refused} refused, ${report.balancer.broken} cut)`,
  );
  for (const [cls, byCode] of Object.entries(calls.codes)) {
    out.push(
      `${cls} failures by code: ${Object.entries(byCode)
        .map(([c, n]) => `${c} ×${n}`)
        .join(', ')}`,
    );
  }
  for (const [cls, list] of Object.entries(calls.samples)) {
    if (cls === 'wechat') continue;
    out.push(`${cls} failures, first ${Math.min(list.length, 20)}:`);
    for (const line of list.slice(0, 20)) out.push(`  ${line}`);
  }
  out.push('');
  for (const t of report.targets) out.push(`${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.detail}`);
  for (const c of report.coverage) out.push(`${c.pass ? 'ok  ' : 'MISS'}  (coverage) ${c.name}: ${c.detail}`);
  return out.join('\n');
}

/** Every target met and the scenario ran as planned. */
export function passed(report: ChaosReport): boolean {
  return report.targets.every((t) => t.pass) && report.coverage.every((c) => c.pass);
}

export type { FailureClass };
