import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { beijingWallTime, quotaDay } from '../../src/wechat/quota-day.js';
import { Balancer } from './balancer.js';
import { ChaosChild, withTimeout } from './child.js';
import type { ClientsConfig, ClientsResult } from './clients-process.js';
import { ClockDriver } from './clock-driver.js';
import { type HubRefreshEvent, HubSlot } from './fleet.js';
import { freePort, PrivateRedis, redisServerBinary } from './redis-server.js';
import { buildReport, type ChaosReport, type PhaseRecord } from './report.js';
import { type ListedFault, SimClient } from './sim-client.js';

const SIM_PROCESS = fileURLToPath(new URL('./sim-process.ts', import.meta.url));
const CLIENTS_PROCESS = fileURLToPath(new URL('./clients-process.ts', import.meta.url));

export interface ChaosOptions {
  /** Rounds of incidents (rogue fetches, hub kills, a Redis restart); each takes about a minute. */
  readonly rounds: number;
  /** Business calls per second, all clients together. */
  readonly rate: number;
  /** Hub processes (at least 2). */
  readonly hubs: number;
  /** `postgres://…` for the hubs' database; default a SQLite file the hubs share. */
  readonly database?: string;
  /** The hubs' `wechat.timeoutMs`; the shipped default is 5000. */
  readonly wechatTimeoutMs: number;
  /** Real ms between clock steps; with 60 s steps, 200 ms runs the clock up to 300× real time. */
  readonly tickMs: number;
  readonly maxStepSeconds: number;
  /** Virtual seconds of fault-free traffic first, then with faults before the quota phase. */
  readonly baselineSeconds: number;
  readonly faultSeconds: number;
  /** Virtual seconds of fault-free traffic at the end. */
  readonly calmSeconds: number;
  /** At a refresh point the clock runs at real speed this long (real ms), then creeps at `creepRate`. */
  readonly creepAfterMs: number;
  readonly creepRate: number;
  /** Clock speed while the exhausted classic token rides to midnight (virtual per real). */
  readonly exhaustedRate: number;
  /** How long Redis stays down, real ms. */
  readonly redisDownMs: number;
  /** Also kill the hub that is fetching at a refresh point (costs a lease TTL, 15 s real). */
  readonly killAtRefresh: boolean;
  /** The hubs' `logging.level` (their logs go to LOGDIR/hub-N.log). */
  readonly hubLogLevel: 'warn' | 'info' | 'debug';
  /** Where hub, client and simulator logs go; default a fresh temporary directory. */
  readonly logDir?: string;
  readonly log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: ChaosOptions = {
  rounds: 2,
  rate: 40,
  hubs: 2,
  wechatTimeoutMs: 5000,
  tickMs: 200,
  maxStepSeconds: 60,
  baselineSeconds: 1200,
  faultSeconds: 1800,
  calmSeconds: 600,
  creepAfterMs: 3000,
  creepRate: 5,
  exhaustedRate: 30,
  redisDownMs: 2000,
  killAtRefresh: true,
  hubLogLevel: 'warn',
};

const GATEWAY_PAGE = '<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>';
/** The faults WeChat shows from the moment they are switched on until `calm` (docs/reliability.md). */
export const FAULTS: readonly Record<string, unknown>[] = [
  ...['/cgi-bin/token', '/cgi-bin/stable_token'].flatMap((path) => [
    { path, rate: 0.2, errcode: -1 },
    { path, rate: 0.05, hang: true },
    { path, rate: 0.03, httpStatus: 502, body: GATEWAY_PAGE },
  ]),
  { path: '/cgi-bin/user/info', rate: 0.02, errcode: -1 },
  { path: '/cgi-bin/user/info', rate: 0.05, hang: true },
  { path: '/cgi-bin/user/info', rate: 0.03, httpStatus: 502, body: GATEWAY_PAGE },
];

/** One rotation per account meets these in a row (each once), after the random faults. */
const BURST: readonly Record<string, unknown>[] = [
  { errcode: -1 },
  { httpStatus: 502, body: GATEWAY_PAGE },
  { hang: true },
];

/**
 * The classic account's forced rotation lands this long before midnight, so its refresh point
 * (at 6600 s) falls before midnight and its expiry (7200 s) after.
 */
const FORCED_BEFORE_MIDNIGHT_S = 6900;
const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** The first Beijing midnight at or after `ms`. */
export function nextBeijingMidnight(ms: number): number {
  return Math.ceil((ms + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS;
}

/**
 * Runs the reliability scenario (docs/reliability.md) and returns its report. Starts and stops
 * everything it needs: a private redis-server, the simulator, the hubs, the load balancer and the
 * clients, all on loopback.
 */
export async function runChaos(partial: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  const options: ChaosOptions = { ...DEFAULT_OPTIONS, ...partial };
  if (options.hubs < 2) throw new RangeError('hubs must be at least 2');
  const log = options.log ?? (() => undefined);
  const t0 = performance.now();
  const elapsed = () => Math.round((performance.now() - t0) / 100) / 10;
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), 'wxhub-chaos-'));
  const id = randomBytes(4).toString('hex');
  const cleanup: (() => Promise<unknown>)[] = [];
  const binary = redisServerBinary();
  if (!binary)
    throw new Error('the chaos run needs a redis-server binary on PATH (it restarts its own Redis)');

  try {
    // --- the world -----------------------------------------------------------------------------
    const redis = new PrivateRedis(binary, await freePort());
    await redis.start();
    cleanup.push(() => redis.kill());
    const simServer = new ChaosChild(SIM_PROCESS, {}, join(logDir, 'sim.log'));
    cleanup.push(() => simServer.stop());
    const sim = new SimClient(String((await simServer.ready()).url));

    const classic = { appid: `wxc1a551c0${id}`, secret: randomBytes(16).toString('hex') };
    const stable = { appid: `wx57ab1e00${id}`, secret: randomBytes(16).toString('hex') };
    const openids: Record<string, string> = {};
    for (const account of [classic, stable]) {
      await sim.control('POST', '/__sim/accounts', { ...account, tokenDailyQuota: 2000 });
      const user = await sim.control<{ openid: string }>('POST', `/__sim/accounts/${account.appid}/users`, {
        subscribe: 1,
      });
      openids[account.appid] = user.openid;
    }
    const setQuota = (limit: number) =>
      sim.control('POST', '/__sim/accounts', { appid: classic.appid, tokenDailyQuota: limit });

    // Virtual time starts so that the quota phase's forced rotation falls 6900 s before a Beijing
    // midnight: its refresh point then passes with the quota spent, and the day turns before expiry.
    const lead = options.baselineSeconds + options.faultSeconds + 300;
    const simNow = (await sim.clock()).now;
    const midnight = nextBeijingMidnight(simNow + (lead + FORCED_BEFORE_MIDNIGHT_S + 60) * 1000);
    const forcedAt = midnight - FORCED_BEFORE_MIDNIGHT_S * 1000;
    const start = forcedAt - lead * 1000;
    await sim.advance((start - simNow) / 1000);

    // --- the fleet -----------------------------------------------------------------------------
    const pgSchema = options.database?.startsWith('postgres') ? `chaos_${id}` : undefined;
    const database = options.database ?? `sqlite:${join(logDir, 'chaos.db')}`;
    if (pgSchema) cleanup.push(() => dropSchema(options.database!, pgSchema));
    const refreshes: HubRefreshEvent[] = [];
    const ports = await Promise.all(Array.from({ length: options.hubs }, () => freePort()));
    const slots = ports.map((port, i) => {
      const config = {
        listen: { host: '127.0.0.1', port },
        store: redis.url,
        database,
        wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: options.wechatTimeoutMs },
        accounts: [
          { appid: classic.appid, secret: 'env:CHAOS_SECRET_CLASSIC', tokenMode: 'classic' },
          { appid: stable.appid, secret: 'env:CHAOS_SECRET_STABLE', tokenMode: 'stable' },
        ],
        rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
        logging: { level: options.hubLogLevel },
      };
      const env = {
        CHAOS_HUB_CONFIG: JSON.stringify(config),
        CHAOS_SECRET_CLASSIC: classic.secret,
        CHAOS_SECRET_STABLE: stable.secret,
        ...(pgSchema ? { CHAOS_PG_SCHEMA: pgSchema } : {}),
      };
      return new HubSlot(`hub-${i + 1}`, port, env, logDir, (e) => refreshes.push(e));
    });
    cleanup.push(() => Promise.all(slots.map((s) => s.stop())));
    const offset0 = (await sim.clock()).offsetMs;
    // The first hub migrates the database and creates the drop-in signing key; the others find them.
    await slots[0]!.start(offset0);
    await Promise.all(slots.slice(1).map((s) => s.start(offset0)));
    const { key } = await slots[0]!.command<{ key: string }>({
      cmd: 'key',
      appids: [classic.appid, stable.appid],
      scopes: ['token', 'refresh', 'proxy'],
    });
    const balancer = new Balancer(slots.map((s) => s.url));
    const hubUrl = await balancer.start();
    cleanup.push(() => balancer.close());

    // --- the business clients ------------------------------------------------------------------
    const perAccount = (n: number) =>
      Array.from({ length: n }, (_, i) => {
        const appid = i % 2 === 0 ? classic.appid : stable.appid;
        return { appid, openid: openids[appid]! };
      });
    const clientsConfig: ClientsConfig = {
      hubUrl,
      wechatUrl: sim.url,
      key,
      sdk: perAccount(4),
      dropIn: perAccount(4),
      perClientRate: options.rate / 8,
      dropInTimeoutMs: 30_000,
      standInCacheSeconds: 7000,
      maxInFlight: 200,
    };
    const clients = new ChaosChild(
      CLIENTS_PROCESS,
      { CHAOS_CLIENTS_CONFIG: JSON.stringify(clientsConfig), CHAOS_CLOCK_OFFSET: String(offset0) },
      join(logDir, 'clients.log'),
    );
    cleanup.push(() => clients.stop());
    await clients.ready();

    const timeline: PhaseRecord[] = [];
    const kills: number[] = [];
    const rogueHashes = new Set<string>();
    const quotaLimits: { at: string; limit: number; why: string }[] = [];
    const note = (text: string) => {
      const phase = timeline.at(-1);
      const line = `${elapsed()} s  ${beijingWallTime(driver.now())}  ${text}`;
      phase?.events.push(line);
      log(`  ${line}`);
    };
    const bursts = new Set<string>();
    /** Faults with a `count` remove themselves once spent: kept here to report their hits. */
    const oneShots: ListedFault[] = [];
    const oneShot = async (spec: Record<string, unknown> & { count: number }) => {
      oneShots.push({ ...spec, rate: 1, id: await sim.fault({ ...spec, rate: 1 }), hits: spec.count });
    };
    let faultsOn = false;
    /** The first rotation of each account meets WeChat failing three ways in a row. */
    const burst = async (appid: string) => {
      if (bursts.has(appid) || !faultsOn) return;
      bursts.add(appid);
      const path = appid === classic.appid ? '/cgi-bin/token' : '/cgi-bin/stable_token';
      for (const fault of BURST) await oneShot({ ...fault, path, appid, count: 1 });
      note(`${path} will answer -1, then an HTML 502, then hang, before it answers the next refresh`);
    };
    const driver = new ClockDriver({
      sim,
      hubs: slots,
      followers: [
        {
          setClock: (offset) =>
            clients.command({ cmd: 'clock', offset }).then(
              () => undefined,
              () => undefined,
            ),
        },
      ],
      tickMs: options.tickMs,
      maxStepSeconds: options.maxStepSeconds,
      creepAfterMs: options.creepAfterMs,
      creepRate: options.creepRate,
      exhaustedRate: options.exhaustedRate,
      onRefreshDue: (appid) => burst(appid),
    });
    await driver.sync();
    const hasTokens = async () => {
      const all = await driver.statuses();
      return all.length === slots.length && all.every((s) => Object.values(s.accounts).every((a) => a.token));
    };
    await driver.until(hasTokens, { timeoutMs: 60_000 });
    log(`${elapsed()} s: redis, simulator, ${slots.length} hubs, balancer and clients up; logs in ${logDir}`);

    // --- the scenario ----------------------------------------------------------------------------
    const phase = async (name: string) => {
      const last = timeline.at(-1);
      if (last) Object.assign(last, { endS: elapsed(), virtualEnd: beijingWallTime(driver.now()) });
      timeline.push({
        phase: name,
        startS: elapsed(),
        endS: elapsed(),
        virtualStart: beijingWallTime(driver.now()),
        virtualEnd: '',
        events: [],
      });
      log(`${elapsed()} s  ${beijingWallTime(driver.now())}  phase ${name}`);
      await clients.command({ cmd: 'phase', name });
    };
    const fetchedAt = async (appid: string) => {
      const all = await driver.statuses();
      return Math.max(...all.map((s) => s.accounts[appid]?.token?.fetchedAt ?? 0));
    };
    /** Every live hub holds a token of `appid` fetched after `after`. */
    const rotated = (appid: string, after: number) => async () => {
      const all = await driver.statuses();
      return (
        all.length === slots.filter((s) => s.alive).length &&
        all.every((s) => (s.accounts[appid]?.token?.fetchedAt ?? 0) > after)
      );
    };
    const restart = async (slot: HubSlot, why: string) => {
      driver.hold(`restart ${slot.name}`);
      try {
        kills.push(driver.now());
        await slot.kill();
        note(`SIGKILL ${slot.name} (${why})`);
        await slot.start(driver.offsetMs);
        note(`${slot.name} restarted`);
      } finally {
        driver.release(`restart ${slot.name}`);
      }
    };
    const quotaUsed = async () => (await sim.ledger()).quota[classic.appid]?.[quotaDay(driver.now())] ?? 0;
    const limitQuota = async (limit: number, why: string) => {
      await setQuota(limit);
      quotaLimits.push({ at: beijingWallTime(driver.now()), limit, why });
      note(`tokenDailyQuota of the classic account set to ${limit} (${why})`);
    };

    await clients.command({ cmd: 'start' });
    await phase('baseline');
    await driver.advance(options.baselineSeconds);

    await phase('wechat-faults');
    for (const fault of FAULTS) await sim.fault(fault);
    faultsOn = true;
    note(`faults on: token endpoints 20% -1, 5% hang, 3% HTML 502; user/info 2% -1, 5% hang, 3% HTML 502`);
    await driver.advanceTo(forcedAt);

    await phase('quota-nearly-exhausted');
    const usedDay1 = await quotaUsed();
    await limitQuota(usedDay1 + 1, `${usedDay1} used today: 1 fetch left`);
    const beforeForced = await fetchedAt(classic.appid);
    await sim.control('POST', `/__sim/accounts/${classic.appid}/invalidate-tokens`, { immediate: true });
    note(
      'classic tokens invalidated at once (as if a rogue fetched with no overlap): the fleet must refetch once',
    );
    await driver.until(rotated(classic.appid, beforeForced), { timeoutMs: 60_000 });
    note(`fleet refetched; quota used today ${await quotaUsed()} of ${usedDay1 + 1}`);

    await phase('quota-exhausted');
    const forcedFetch = await fetchedAt(classic.appid);
    driver.exhausted.add(classic.appid);
    note('quota spent: the refresh point passes, the cached token must carry the callers to midnight');
    await driver.advanceTo(midnight - 1000);
    await burst(classic.appid);
    await driver.advanceTo(midnight);
    driver.exhausted.delete(classic.appid);
    note('Beijing midnight: a new quota day; the hubs retry their refresh');
    await driver.until(rotated(classic.appid, forcedFetch), { timeoutMs: 60_000 });
    const budget = options.rounds * 6 + 2;
    const usedDay2 = await quotaUsed();
    await limitQuota(usedDay2 + budget, `a tight day: what ${options.rounds} rounds need, plus 2`);

    for (let round = 1; round <= options.rounds; round++) {
      await phase(`rogue-${round}`);
      rogueHashes.add(await sim.rogueClassicFetch(classic.appid, classic.secret));
      // The storm's refresh meets one hang: callers wait for the hub's retry instead of failing.
      await oneShot({ path: '/cgi-bin/token', appid: classic.appid, hang: true, count: 1 });
      note('rogue fetched the classic token with the secret: the fleet token dies in 300 s');
      note("and the fleet's refresh will meet a hang of WeChat's token endpoint first");
      await driver.advance(600);
      rogueHashes.add(await sim.rogueStableForce(stable.appid, stable.secret));
      note('rogue force_refresh of the stable token: the fleet token dies at once');
      await driver.advance(900);

      await phase(`hub-kill-${round}`);
      await restart(slots[(round - 1) % slots.length]!, 'at a random moment');
      await driver.advance(1200);
      if (options.killAtRefresh) {
        const delayed = await sim.fault({
          path: '/cgi-bin/token',
          appid: classic.appid,
          rate: 1,
          delayMs: 3000,
          count: 1,
        });
        const before = await fetchedAt(classic.appid);
        note('next classic token fetch will take 3 s; running to the refresh point');
        await driver.until(async () => !(await sim.faults()).some((f) => f.id === delayed), {
          target: driver.now() + 8000 * 1000,
          timeoutMs: 90_000,
        });
        // The hub holding the refresh lease is the one whose fetch is in flight.
        const live = slots.filter((s) => s.alive);
        const statuses = await Promise.all(live.map((s) => s.status()));
        const holder = live.find((_, i) => statuses[i]?.leases.includes(`lease:token:${classic.appid}`));
        const fetching = holder ?? live[0]!;
        await restart(
          fetching,
          holder ? 'it holds the refresh lease, its fetch in flight' : 'no hub held the lease',
        );
        await driver.until(rotated(classic.appid, before), { timeoutMs: 90_000 });
        note('the other hub took over after the lease expired: classic token renewed');
      }
      await driver.advance(300);

      await phase(`redis-restart-${round}`);
      driver.hold('redis down');
      try {
        await redis.kill();
        note('SIGKILL redis-server');
        await new Promise((resolve) => setTimeout(resolve, options.redisDownMs));
        await redis.start();
        note('redis-server back, empty');
        // The outage lasts, for the hubs, until they have reconnected (ioredis backs off up to 2 s).
        await waitFor(async () => (await Promise.all(slots.map((s) => s.ready()))).every(Boolean), 30_000);
        note('every hub ready again (/readyz 200)');
      } finally {
        driver.release('redis down');
      }
      // Time goes on (the next revalidation writes the tokens back); stop as soon as both are there.
      const backAt = driver.now();
      await driver.until(
        async () =>
          (await redis.hasCredential(`token:${classic.appid}`)) &&
          (await redis.hasCredential(`token:${stable.appid}`)),
        { target: backAt + 1200 * 1000, timeoutMs: 30_000 },
      );
      note('both tokens written back to Redis by the hubs');
      await driver.advanceTo(backAt + 1200 * 1000);
    }

    await phase('calm');
    // One-shot faults no longer listed were spent.
    const listed = await sim.faults();
    const faultHits = [...listed, ...oneShots.filter((b) => !listed.some((f) => f.id === b.id))];
    await sim.clearFaults();
    faultsOn = false;
    note('faults off');
    await driver.advance(options.calmSeconds);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const last = timeline.at(-1)!;
    Object.assign(last, { endS: elapsed(), virtualEnd: beijingWallTime(driver.now()) });

    const clientsResult = await clients.command<ClientsResult & { ok: true }>({ cmd: 'stop' }, 90_000);
    const ledger = await sim.ledger();
    log(`${elapsed()} s: done; computing the report`);
    return buildReport({
      options,
      realSeconds: elapsed(),
      virtualStart: start,
      virtualEnd: driver.now(),
      midnight,
      accounts: { classic: classic.appid, stable: stable.appid },
      calls: clientsResult.calls,
      shed: clientsResult.shed,
      abandoned: clientsResult.abandoned,
      ledger,
      rogueHashes,
      kills,
      faults: faultHits,
      refreshes,
      balancer: { ...balancer.stats },
      clock: { ...driver.stats },
      timeline,
      quotaLimits,
      hubStarts: slots.reduce((n, s) => n + s.starts, 0),
      logDir,
    });
  } finally {
    // Each step bounded, so one that hangs cannot leave the others' processes running.
    for (const step of cleanup.reverse()) {
      await withTimeout(step(), 15_000, 'cleanup step').catch((err: unknown) =>
        log(`cleanup: ${String(err)}`),
      );
    }
  }
}

/** Polls `check` every 100 ms until it holds; rejects after `timeoutMs`. */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
