/**
 * What the drop-in proxy adds to a WeChat call: `GET /cgi-bin/user/info` straight to the
 * simulator with the real token, against the same call through `wxhub serve`'s proxy with a
 * stand-in token (verify the stand-in, put the real token in, forward, read the errcode, relay),
 * 50 concurrent callers, all in the same run, each round starting with a different path. A third
 * path, a bare hop (node:http forwarding through an undici Pool, nothing else), shows what any
 * extra hop costs on the machine at hand: the floor under the hub's figure.
 *
 * Two load shapes, because on a small machine they answer different questions:
 * - `paced`: every caller sends one request each `concurrency / rate` seconds (default 1,000
 *   req/s in all), far below either path's capacity, so latency is service time and the
 *   difference is the proxy's own cost: the figure the ≤ 1 ms p99 target is about;
 * - `saturated`: closed loop, each caller sends its next request when the last one is answered,
 *   as fast as it goes: req/s both ways. The hub, the simulator and this load generator then
 *   share the same cores, so latency there is mostly queueing (Little's law) and says how much
 *   CPU the extra hop takes, not how long it waits.
 *
 *   node --import tsx bench/proxy-overhead.ts [--concurrency 50] [--seconds 5] [--rounds 3]
 *                                              [--warmup 1] [--jit-warmup 3] [--settle 5]
 *                                              [--rate 1000]
 *                                              [--log-level info]
 *
 * `--jit-warmup` seconds of saturated load on each path come first, unmeasured, so that the
 * numbers are a warm hub's (a hub in service has optimized code), not V8's first compilations.
 * Then `--settle` seconds of paced load on each path, unmeasured: after that burst every process
 * (the load generator too) shrinks its heap with a few long collections, and without the pause the
 * first paced round of every run, direct calls included, had a p99 two to eight times the others'.
 *
 * Prints a table and writes bench/results/proxy-overhead.json. Target: p99 added ≤ 1 ms (paced).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool, request } from 'undici';
import { startHubServer } from './lib/hub-server.js';
import {
  announceAndWait,
  type ChildServer,
  type LoadResult,
  median,
  printTable,
  processCpuSeconds,
  round,
  runLoad,
  type Summary,
  startChildServer,
  summarize,
  writeResults,
} from './lib/index.js';
import { runMain } from './lib/run-main.js';
import { callsOf, startSimChild } from './lib/sim-control.js';

const SELF = fileURLToPath(import.meta.url);
const APPID = 'wx960c5be000000001';
const SECRET = 'proxybenchsecret0000000000000001';

/**
 * Child mode: the cheapest proxy there is, as a floor for what any extra hop costs on this
 * machine: node:http passing each request's path and query to the simulator through an undici
 * Pool and WeChat's status, type and (buffered) body back. No token swap, no checks, no metrics.
 */
async function serveHop(upstream: string, connections: number): Promise<void> {
  const pool = new Pool(upstream, { connections, pipelining: 1, keepAliveTimeout: 10_000 });
  const server = createServer((req, res) => {
    pool.request({ method: 'GET', path: req.url ?? '/' }).then(
      async (answer) => {
        const body = Buffer.from(await answer.body.arrayBuffer());
        const type = String(answer.headers['content-type'] ?? 'application/json');
        res.writeHead(answer.statusCode, { 'content-type': type, 'content-length': body.length });
        res.end(body);
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
  });
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  announceAndWait(`http://127.0.0.1:${port}`, async () => {
    await new Promise((resolve) => server.close(resolve));
    await pool.close();
  });
}

/**
 * `concurrency` callers, each sending one request every `concurrency / rate` seconds on its own
 * keep-alive connection (phases spread evenly), for `durationMs`. Latency is measured from the
 * send; `maxLateMs` says how late the latest send was against its schedule (a path that cannot
 * keep up would show here rather than hide: no coordinated omission goes unnoticed).
 */
async function runPaced(
  pool: Pool,
  path: string,
  concurrency: number,
  rate: number,
  durationMs: number,
): Promise<LoadResult & { maxLateMs: number }> {
  const intervalMs = (concurrency * 1000) / rate;
  const latencies = new Float64Array(Math.ceil((rate * durationMs) / 1000) + concurrency * 2);
  const statuses: Record<string, number> = {};
  let completed = 0;
  let errors = 0;
  let maxLateMs = 0;
  const started = performance.now();
  const end = started + durationMs;
  async function caller(index: number): Promise<void> {
    let due = started + (index / concurrency) * intervalMs;
    while (due < end) {
      // Timers may fire up to a millisecond early: wait until the request is really due.
      for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(1, wait)));
      }
      const sentAt = performance.now();
      maxLateMs = Math.max(maxLateMs, sentAt - due);
      try {
        const res = await pool.request({ method: 'GET', path });
        await res.body.dump({ limit: Number.POSITIVE_INFINITY });
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode !== 200) errors++;
      } catch {
        errors++;
        statuses.error = (statuses.error ?? 0) + 1;
      }
      if (completed < latencies.length) latencies[completed++] = performance.now() - sentAt;
      due += intervalMs;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, i) => caller(i)));
  return {
    requests: completed,
    errors,
    durationMs: performance.now() - started,
    latenciesMs: latencies.subarray(0, completed),
    statuses,
    maxLateMs,
  };
}

/**
 * The hub's own view of its proxied calls, from its latency histogram on /metrics: how many of
 * the `/cgi-bin/*` requests it answered within each bucket bound (seconds → count). Subtracting
 * two snapshots gives one run's share served within 1 ms, 5 ms... as measured inside the hub
 * (the upstream wait included, the load generator's and the kernel's queues excluded).
 */
async function proxyBuckets(hubUrl: string): Promise<Map<string, number>> {
  const text = await (await request(`${hubUrl}/metrics`)).body.text();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (
      !line.startsWith('wxhub_http_request_duration_seconds_bucket{') ||
      !line.includes('route="/cgi-bin/*"')
    )
      continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le) counts.set(le, (counts.get(le) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

type Run = Summary & {
  /** CPU the proxy in the path (hub or bare hop) spent per request, µs; undefined for direct. */
  proxyCpuUsPerRequest: number | undefined;
  maxLateMs: number | undefined;
  /** Share of the run's calls the hub itself answered within 1 ms / 5 ms (via hub only). */
  hubWithin1Ms?: number;
  hubWithin5Ms?: number;
};

/** The median of the defined shares, as a percentage string; undefined when none. */
function percent(values: (number | undefined)[]): string | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? `${round(median(defined) * 100, 1)} %` : undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      'jit-warmup': { type: 'string', default: '3' },
      settle: { type: 'string', default: '5' },
      rate: { type: 'string', default: '1000' },
      requests: { type: 'string', default: '1000000' },
      'log-level': { type: 'string', default: 'info' },
      serve: { type: 'string' },
      upstream: { type: 'string' },
    },
  });
  const concurrency = Number(values.concurrency);
  const durationMs = Number(values.seconds) * 1000;
  const rounds = Number(values.rounds);
  const warmupMs = Number(values.warmup) * 1000;
  const jitWarmupMs = Number(values['jit-warmup']) * 1000;
  const settleMs = Number(values.settle) * 1000;
  const rate = Number(values.rate);
  const maxRequests = Number(values.requests);
  const logLevel = values['log-level']!;
  if (values.serve === 'hop') return serveHop(values.upstream!, concurrency);

  const servers: ChildServer[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const { server: simServer, control } = await startSimChild();
    servers.push(simServer);
    await control.createAccount({ appid: APPID, secret: SECRET });
    const { openid } = await control.addUser(APPID, { nickname: '代理 Bench' });
    const hub = await startHubServer({
      simUrl: simServer.url,
      appid: APPID,
      secret: SECRET,
      logLevel,
      scopes: ['token', 'proxy'],
    });
    servers.push(hub);
    const hop = await startChildServer([
      SELF,
      '--serve',
      'hop',
      '--upstream',
      simServer.url,
      '--concurrency',
      String(concurrency),
    ]);
    servers.push(hop);

    // The real token (the hub's, so no second fetch rotates it) and a stand-in for the proxy.
    const real = (await (
      await request(`${hub.url}/v1/accounts/${APPID}/access-token`, {
        headers: { authorization: `Bearer ${hub.key}` },
      })
    ).body.json()) as { access_token: string };
    const standIn = (await (
      await request(`${hub.url}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${hub.key}`)
    ).body.json()) as { access_token: string };
    const query = `openid=${openid}&lang=zh_CN`;
    const direct = `/cgi-bin/user/info?access_token=${real.access_token}&${query}`;
    const targets = [
      { name: 'direct', origin: simServer.url, path: direct, pid: undefined },
      { name: 'bare hop', origin: hop.url, path: direct, pid: hop.child.pid },
      {
        name: 'via hub',
        origin: hub.url,
        path: `/cgi-bin/user/info?access_token=${standIn.access_token}&${query}`,
        pid: hub.child.pid,
      },
    ];
    for (const target of targets) {
      const res = await request(`${target.origin}${target.path}`);
      const text = await res.body.text();
      if (res.statusCode !== 200 || !text.includes(openid))
        throw new Error(`${target.name}: ${res.statusCode} ${text}`);
    }

    // The paced callers keep their connections for the whole run, warm-ups and rounds alike, as
    // keep-alive callers do: a pool per measurement put 50 new connections, 1 % of a round's
    // requests, into every measured round, and their set-up time was its p99.
    const pools = new Map(
      targets.map((t) => [
        t.name,
        new Pool(t.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 }),
      ]),
    );
    closers.push(() => Promise.all([...pools.values()].map((pool) => pool.close())));
    const shapes = ['paced', 'saturated'] as const;
    const load = (shape: (typeof shapes)[number], target: (typeof targets)[number], ms: number) =>
      shape === 'paced'
        ? runPaced(pools.get(target.name)!, target.path, concurrency, rate, ms)
        : runLoad({
            origin: target.origin,
            request: { path: target.path },
            concurrency,
            durationMs: ms,
            maxRequests,
            ok: (s) => s === 200,
          });

    // A hub in service has run its proxy path millions of times: let V8 optimize it (a few
    // thousand calls) before anything is measured, or the first paced rounds time the JIT.
    for (const target of targets) await load('saturated', target, jitWarmupMs);
    for (const target of targets) await load('paced', target, settleMs);

    const loadBefore = loadavg().map((v) => round(v, 2));
    process.stdout.write(
      `GET /cgi-bin/user/info, ${concurrency} concurrent: paced at ${rate.toLocaleString('en-US')} req/s, then saturated; ${rounds} round(s) of ${durationMs / 1000} s, ${warmupMs / 1000} s warm-up, hub logging ${logLevel}\n`,
    );
    const runs: Record<string, Record<string, Run[]>> = {};
    for (const shape of shapes) {
      runs[shape] = Object.fromEntries(targets.map((t) => [t.name, []]));
      for (let roundNo = 1; roundNo <= rounds; roundNo++) {
        // Each round starts one path further on, so no path always runs first or last.
        const shift = (roundNo - 1) % targets.length;
        for (const target of [...targets.slice(shift), ...targets.slice(0, shift)]) {
          await load(shape, target, warmupMs);
          const cpuBefore = target.pid === undefined ? undefined : processCpuSeconds(target.pid);
          const bucketsBefore = target.name === 'via hub' ? await proxyBuckets(hub.url) : undefined;
          const result = await load(shape, target, durationMs);
          const summary = summarize(result);
          const maxLateMs = 'maxLateMs' in result ? round(result.maxLateMs as number, 1) : undefined;
          const cpuAfter = target.pid === undefined ? undefined : processCpuSeconds(target.pid);
          if (summary.errors) throw new Error(`${shape} ${target.name}: ${summary.errors} errors`);
          const proxyCpu =
            cpuBefore !== undefined && cpuAfter !== undefined
              ? round(((cpuAfter - cpuBefore) * 1e6) / summary.requests, 1)
              : undefined;
          const within: { hubWithin1Ms?: number; hubWithin5Ms?: number } = {};
          if (bucketsBefore) {
            const after = await proxyBuckets(hub.url);
            const delta = (le: string) => (after.get(le) ?? 0) - (bucketsBefore.get(le) ?? 0);
            const total = delta('+Inf');
            if (total > 0) {
              within.hubWithin1Ms = round(delta('0.001') / total, 4);
              within.hubWithin5Ms = round(delta('0.005') / total, 4);
            }
          }
          runs[shape]![target.name]!.push({
            ...summary,
            proxyCpuUsPerRequest: proxyCpu,
            maxLateMs,
            ...within,
          });
          process.stdout.write(
            `  ${shape} round ${roundNo} ${target.name}: ${summary.rps.toLocaleString('en-US')} req/s, p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms${maxLateMs === undefined ? '' : `, latest send ${maxLateMs} ms behind schedule`}\n`,
          );
        }
      }
    }
    const stats = await control.stats();
    const fetches = callsOf(stats, APPID, '/cgi-bin/token');
    if (fetches !== 1) throw new Error(`expected one upstream token fetch, saw ${fetches}`);

    const rows = shapes.flatMap((shape) => {
      const direct = runs[shape]!.direct!;
      const directP50 = median(direct.map((s) => s.p50Ms));
      const directP99 = median(direct.map((s) => s.p99Ms));
      return targets.map((target) => {
        const list = runs[shape]![target.name]!;
        const p50 = median(list.map((s) => s.p50Ms));
        const p99 = median(list.map((s) => s.p99Ms));
        const cpu = list.map((s) => s.proxyCpuUsPerRequest).filter((v): v is number => v !== undefined);
        return {
          load: shape,
          path: target.name,
          'req/s': round(median(list.map((s) => s.rps)), 0),
          'p50 ms': round(p50, 3),
          'p99 ms': round(p99, 3),
          'added p50 ms': target.name === 'direct' ? undefined : round(p50 - directP50, 3),
          'added p99 ms': target.name === 'direct' ? undefined : round(p99 - directP99, 3),
          'proxy CPU µs/req': cpu.length ? round(median(cpu), 1) : undefined,
          'in hub ≤ 1 ms': percent(list.map((s) => s.hubWithin1Ms)),
        };
      });
    });
    process.stdout.write('\n');
    printTable(rows);
    const row = (load: string, path: string) => rows.find((r) => r.load === load && r.path === path)!;
    const paced = row('paced', 'via hub');
    const pacedHop = row('paced', 'bare hop');
    const throughputRatio = round(
      row('saturated', 'via hub')['req/s'] / row('saturated', 'direct')['req/s'],
      2,
    );
    const hopThroughputRatio = round(
      row('saturated', 'via hub')['req/s'] / row('saturated', 'bare hop')['req/s'],
      2,
    );
    process.stdout.write(
      `\npaced: the proxy adds ${paced['added p50 ms']} ms at p50 and ${paced['added p99 ms']} ms at p99 (target <= 1 ms p99); a bare hop adds ${pacedHop['added p50 ms']} / ${pacedHop['added p99 ms']} ms\nsaturated: via hub / direct = ${throughputRatio}, via hub / bare hop = ${hopThroughputRatio} by req/s\n`,
    );
    const file = await writeResults('proxy-overhead', {
      loadAverage: { before: loadBefore, after: loadavg().map((v) => round(v, 2)) },
      endpoint: 'GET /cgi-bin/user/info',
      settings: { concurrency, durationMs, rounds, warmupMs, jitWarmupMs, settleMs, rate, logLevel },
      addedP50Ms: paced['added p50 ms'],
      addedP99Ms: paced['added p99 ms'],
      bareHopAddedP50Ms: pacedHop['added p50 ms'],
      bareHopAddedP99Ms: pacedHop['added p99 ms'],
      saturatedThroughputRatio: throughputRatio,
      saturatedThroughputRatioToBareHop: hopThroughputRatio,
      target: { addedP99Ms: 1 },
      upstreamTokenFetches: fetches,
      summary: rows,
      runs,
    });
    process.stdout.write(`results: ${file}\n`);
  } finally {
    for (const close of closers) await close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

runMain('proxy-overhead', main);
