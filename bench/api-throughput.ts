/**
 * API throughput: `GET /cgi-bin/user/info` at a fixed concurrency (closed loop), through wxhub's
 * `WeChatClient.users.get(openid)`, through the peers' user-info methods, and as raw HTTP requests
 * with a fixed token (undici Pool, one keep-alive connection per caller), all against one
 * simulator in its own process, in the same run, rounds alternating the order. Reports req/s
 * (median of the rounds), latency, and the CPU each side spends per request (this process: the
 * client library; the child: the simulator), which says where the time goes.
 *
 *   node --import tsx bench/api-throughput.ts [--concurrency 50] [--seconds 2] [--rounds 5]
 *                                             [--warmup 0.5] [--requests 200000] [--breakdown]
 *
 * Prints a table and writes bench/results/api-throughput.json. Target: wxhub / raw ≥ 0.85.
 *
 * `--breakdown` measures instead a ladder from the raw request to `users.get`, one layer of
 * wxhub's path added per step (dispatcher, request options, HttpClient, errcode check, token and
 * retry, response schema), plus `users.get` on a per-origin Pool, and writes
 * bench/results/api-throughput-breakdown.json: what each layer costs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, Pool, request } from 'undici';
import { WeChatClient } from '../src/client/index.js';
import { callWeChat, HttpClient } from '../src/http/index.js';
import { openStore } from '../src/store/index.js';
import { runClosedLoop } from './lib/closed-loop.js';
import { processCpuSeconds } from './lib/process-cpu.js';
import { writeResults } from './lib/results.js';
import { runMain } from './lib/run-main.js';
import { startSimChild } from './lib/sim-control.js';
import { median, round, type Summary, summarize } from './lib/summary.js';
import { printTable } from './lib/table.js';
import { createAdapter, type PeerAdapter } from './peers/index.js';

const APPID = 'wxa0be00c000000001';
const SECRET = 'apibenchsecret000000000000000001';
const OPENID = 'oApiBenchUserAAAAAAAAAAAAAAA';

interface Target {
  readonly name: string;
  readonly setup: string;
  readonly call: () => Promise<unknown>;
}

interface Run extends Summary {
  readonly clientCpuUsPerRequest: number;
  readonly simCpuUsPerRequest: number | undefined;
}

interface Settings {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly rounds: number;
  readonly warmupMs: number;
  readonly maxRequests: number;
}

/** Things to close when the run ends, last opened first. */
type Closer = () => Promise<unknown>;

/** The comparison: raw requests, wxhub, co-wechat-api, node-easywechat. */
function comparisonTargets(
  simUrl: string,
  dir: string,
  token: string,
  connections: number,
  closers: Closer[],
): Target[] {
  const spec = { appid: APPID, secret: SECRET, simUrl };
  const wxhub = createAdapter({ ...spec, peer: 'wxhub', store: `sqlite:${join(dir, 'wxhub.db')}` });
  const co = createAdapter({ ...spec, peer: 'co-wechat-api', store: 'memory' });
  const ew = createAdapter({ ...spec, peer: 'node-easywechat', store: `file:${join(dir, 'ew-cache')}` });
  const pool = new Pool(simUrl, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  closers.push(
    () => wxhub.close(),
    () => co.close(),
    () => ew.close(),
    () => pool.close(),
  );
  const path = userPath(token);
  const peer = (a: PeerAdapter, name: string, setup: string): Target => ({
    name,
    setup,
    call: () => a.getUser(OPENID),
  });
  return [
    {
      name: 'raw undici',
      setup: 'pool.request({path}), fixed token, body.json()',
      call: async () => {
        const res = await pool.request({ method: 'GET', path });
        checkUser(res.statusCode, await res.body.json());
      },
    },
    peer(wxhub, 'wxhub', 'WeChatClient.users.get, SqliteStore'),
    peer(co, 'co-wechat-api', 'getUser, default in-memory token'),
    peer(ew, 'node-easywechat', 'getClient().get, default FileCache'),
    {
      name: 'raw undici, URL API (reference)',
      setup: 'undici.request(url, {dispatcher: pool}), body.json()',
      call: async () => {
        const res = await request(`${simUrl}${path}`, { dispatcher: pool });
        checkUser(res.statusCode, await res.body.json());
      },
    },
  ];
}

/**
 * The ladder: from the raw request to users.get, one layer of wxhub's path per step, all on a
 * per-origin Pool of `connections` sockets; then step 2 on the Agent({connections: 128}) HttpClient
 * used to have (kept to show what it cost), and users.get on HttpClient's own dispatcher as shipped.
 */
function breakdownTargets(
  simUrl: string,
  dir: string,
  token: string,
  connections: number,
  closers: Closer[],
): Target[] {
  const path = userPath(token);
  const url = `${simUrl}${path}`;
  const query = { openid: OPENID, lang: 'zh_CN', access_token: token };
  const pool = new Pool(simUrl, { connections, pipelining: 1, keepAliveTimeout: 10_000 });
  // The dispatcher HttpClient had before it was sized to its callers (step 2').
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128, pipelining: 1 });
  const pooledHttp = new HttpClient({ dispatcher: pool });
  const store = openStore(`sqlite:${join(dir, 'breakdown.db')}`);
  const clientOptions = {
    appid: APPID,
    secret: SECRET,
    store,
    endpoints: { api: simUrl, open: simUrl },
    tokenMode: 'classic' as const,
  };
  const pooledClient = new WeChatClient({ ...clientOptions, http: pooledHttp });
  const shippedClient = new WeChatClient(clientOptions);
  closers.push(
    () => pooledClient.close(),
    () => shippedClient.close(),
    () => pooledHttp.close(),
    () => pool.close(),
    () => agent.close(),
    () => store.close(),
  );
  const userInfo = `${simUrl}/cgi-bin/user/info`;
  return [
    {
      name: '1 raw',
      setup: 'pool.request({path}) + body.json()',
      call: async () => {
        const res = await pool.request({ method: 'GET', path });
        checkUser(res.statusCode, await res.body.json());
      },
    },
    {
      name: '2 URL API',
      setup: 'undici.request(url, {dispatcher: pool})',
      call: async () => {
        const res = await request(url, { dispatcher: pool });
        checkUser(res.statusCode, await res.body.json());
      },
    },
    {
      name: '3 + accept header',
      setup: "2 + headers: {accept: 'application/json'}",
      call: async () => {
        const res = await request(url, { dispatcher: pool, headers: { accept: 'application/json' } });
        checkUser(res.statusCode, await res.body.json());
      },
    },
    {
      name: '4 + timeout signal',
      setup: '3 + signal: AbortSignal.timeout(5000)',
      call: async () => {
        const res = await request(url, {
          dispatcher: pool,
          headers: { accept: 'application/json' },
          signal: AbortSignal.timeout(5000),
        });
        checkUser(res.statusCode, await res.body.json());
      },
    },
    {
      name: '5 HttpClient.json',
      setup:
        'HttpClient.json on the pool: withQuery, undici header/body timers, a dispatch handler collecting text (no Readable), JSON guard',
      call: async () => {
        const { status, body } = await pooledHttp.json('GET', userInfo, { query });
        checkUser(status, body);
      },
    },
    {
      name: '6 callWeChat',
      setup: '5 + errcode check',
      call: async () =>
        checkUser(200, await callWeChat(pooledHttp, 'GET', simUrl, '/cgi-bin/user/info', { query })),
    },
    {
      name: '7 WeChatClient.call',
      setup: '6 + token from TokenManager, retry wrapper',
      call: async () =>
        checkUser(
          200,
          await pooledClient.call('GET', '/cgi-bin/user/info', { query: { openid: OPENID, lang: 'zh_CN' } }),
        ),
    },
    {
      name: '8 users.get',
      setup: '7 + zod response schema',
      call: async () => checkUser(200, await pooledClient.users.get(OPENID, 'zh_CN')),
    },
    {
      name: "2' URL API, Agent",
      setup: '2 on an Agent({connections: 128}), the dispatcher HttpClient used to have',
      call: async () => {
        const res = await request(url, { dispatcher: agent });
        checkUser(res.statusCode, await res.body.json());
      },
    },
    {
      name: "8' users.get as shipped",
      setup: "8 on HttpClient's own dispatcher = wxhub as shipped",
      call: async () => checkUser(200, await shippedClient.users.get(OPENID, 'zh_CN')),
    },
  ];
}

function userPath(token: string): string {
  return `/cgi-bin/user/info?access_token=${token}&openid=${OPENID}&lang=zh_CN`;
}

function checkUser(status: number, body: unknown): void {
  if (status !== 200 || (body as { openid?: unknown } | null)?.openid !== OPENID) {
    throw new Error(`unexpected answer: HTTP ${status} ${JSON.stringify(body).slice(0, 200)}`);
  }
}

/** Rounds over every target, order rotating; each run after its own warm-up. */
async function measure(
  targets: Target[],
  settings: Settings,
  simPid: number | undefined,
): Promise<Map<Target, Run[]>> {
  const { concurrency, durationMs, rounds, warmupMs, maxRequests } = settings;
  const runs = new Map<Target, Run[]>(targets.map((t) => [t, []]));
  for (let r = 0; r < rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
    for (const t of order) {
      await runClosedLoop(t.call, { concurrency, durationMs: warmupMs, maxRequests });
      const simBefore = processCpuSeconds(simPid);
      const cpuBefore = process.cpuUsage();
      const result = await runClosedLoop(t.call, { concurrency, durationMs, maxRequests });
      const cpu = process.cpuUsage(cpuBefore);
      const simAfter = processCpuSeconds(simPid);
      if (result.errors)
        throw new Error(`${t.name}: ${result.errors} errors, first: ${String(result.firstError)}`);
      const summary = summarize(result);
      const run: Run = {
        ...summary,
        clientCpuUsPerRequest: round((cpu.user + cpu.system) / summary.requests, 1),
        simCpuUsPerRequest:
          simBefore === undefined || simAfter === undefined
            ? undefined
            : round(((simAfter - simBefore) * 1e6) / summary.requests, 1),
      };
      runs.get(t)!.push(run);
      process.stdout.write(
        `  round ${r + 1} ${t.name}: ${summary.rps.toLocaleString('en-US')} req/s, client ${run.clientCpuUsPerRequest} µs/req, simulator ${run.simCpuUsPerRequest ?? 'n/a'} µs/req\n`,
      );
    }
  }
  return runs;
}

/**
 * One row per target. `÷ raw` is the median over rounds of this target's req/s divided by the raw
 * baseline's req/s in the same round (measured back to back), which cancels part of the drift of a
 * shared machine; the req/s column is the plain median. `÷ raw by CPU` is the raw baseline's client
 * CPU per request divided by this one's: the throughput ratio when the client process is the
 * bottleneck (it is, on a 2-core machine, for every client but raw), and much less sensitive to
 * other load on the machine than req/s.
 */
function tableRows(targets: Target[], runs: Map<Target, Run[]>) {
  const rpsOf = (t: Target) => median(runs.get(t)!.map((s) => s.rps));
  const cpuOf = (t: Target) => median(runs.get(t)!.map((s) => s.clientCpuUsPerRequest));
  const raw = runs.get(targets[0]!)!;
  const rawCpu = cpuOf(targets[0]!);
  return targets.map((t) => {
    const list = runs.get(t)!;
    const ratio = median(list.map((s, i) => s.rps / raw[i]!.rps));
    const sim = list.map((s) => s.simCpuUsPerRequest).filter((v): v is number => v !== undefined);
    return {
      client: t.name,
      setup: t.setup,
      'req/s': round(rpsOf(t), 0),
      'p50 ms': round(median(list.map((s) => s.p50Ms)), 2),
      'p99 ms': round(median(list.map((s) => s.p99Ms)), 2),
      '÷ raw': round(ratio, 2),
      'client CPU µs/req': round(cpuOf(t), 1),
      '÷ raw by CPU': round(rawCpu / cpuOf(t), 2),
      'sim CPU µs/req': sim.length ? round(median(sim), 1) : undefined,
    };
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '0.5' },
      requests: { type: 'string', default: '200000' },
      breakdown: { type: 'boolean', default: false },
    },
  });
  const settings: Settings = {
    concurrency: Number(values.concurrency),
    durationMs: Number(values.seconds) * 1000,
    rounds: Number(values.rounds),
    warmupMs: Number(values.warmup) * 1000,
    maxRequests: Number(values.requests),
  };
  const breakdown = values.breakdown;

  const dir = await mkdtemp(join(tmpdir(), 'wxhub-api-throughput-'));
  const { server, control } = await startSimChild();
  const closers: Closer[] = [];
  try {
    await control.createAccount({ appid: APPID, secret: SECRET, unionBound: true });
    await control.addUser(APPID, {
      openid: OPENID,
      nickname: '压测 Bench',
      subscribeScene: 'ADD_SCENE_QR_CODE',
      tagidList: [1, 2],
    });
    // One live token for everyone (the raw requests' fixed token): the first client fetches it and
    // the others find it (wxhub via its store) or fetch their own before anything is measured.
    const tokenRes = await request(
      `${server.url}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`,
    );
    const token = ((await tokenRes.body.json()) as { access_token: string }).access_token;
    const targets = (breakdown ? breakdownTargets : comparisonTargets)(
      server.url,
      dir,
      token,
      settings.concurrency,
      closers,
    );
    for (const t of targets) await t.call();
    const statsBefore = await control.stats();

    process.stdout.write(
      `GET /cgi-bin/user/info${breakdown ? ', breakdown of the wxhub path' : ''}, ${settings.concurrency} concurrent (closed loop), ${settings.rounds} round(s) of ${settings.durationMs / 1000} s per client (order rotating), ${settings.warmupMs / 1000} s warm-up each\n`,
    );
    const loadBefore = loadavg();
    const runs = await measure(targets, settings, server.child.pid);
    const load = { before: loadBefore.map((v) => round(v, 2)), after: loadavg().map((v) => round(v, 2)) };
    process.stdout.write(
      `load average (1, 5, 15 min): before ${load.before.join(' ')}, after ${load.after.join(' ')}\n`,
    );
    const statsAfter = await control.stats();
    const fetches = (statsAfter.calls['/cgi-bin/token'] ?? 0) - (statsBefore.calls['/cgi-bin/token'] ?? 0);
    if (fetches) throw new Error(`${fetches} token fetches during the measured rounds`);

    const rows = tableRows(targets, runs);
    process.stdout.write('\n');
    printTable(rows);
    const common = {
      endpoint: 'GET /cgi-bin/user/info',
      settings,
      loadAverage: load,
      summary: rows,
      runs: Object.fromEntries(targets.map((t) => [t.name, runs.get(t)])),
    };
    let file: string;
    if (breakdown) {
      file = await writeResults('api-throughput-breakdown', common);
    } else {
      const ratio = rows[1]!['÷ raw'];
      const cpuRatio = rows[1]!['÷ raw by CPU'];
      process.stdout.write(
        `\nwxhub / raw: ${ratio} by req/s, ${cpuRatio} by client CPU per request (target >= 0.85): ${ratio >= 0.85 ? 'MET' : 'NOT MET'}; ` +
          `co-wechat-api / raw: ${rows[2]!['÷ raw']} by req/s, ${rows[2]!['÷ raw by CPU']} by CPU\n`,
      );
      file = await writeResults('api-throughput', {
        ...common,
        target: 0.85,
        ratio,
        cpuRatio,
        met: ratio >= 0.85,
      });
    }
    process.stdout.write(`results: ${file}\n`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runMain('api-throughput', main);
