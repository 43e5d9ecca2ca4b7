/**
 * The hub's hot route, `GET /v1/accounts/:appid/access-token` with a warm token, against a bare
 * `node:http` server answering the same bytes, side by side in one run: the hub is `wxhub serve`
 * itself (its CLI, SQLite store and database, default logging to stderr, a client key checked,
 * rate limit and metrics on every request), each server in its own process, one load generator
 * for both, a warm-up before each measurement, rounds alternating the order.
 *
 *   node --import tsx bench/hub-throughput.ts [--concurrency 50] [--seconds 5] [--rounds 3]
 *                                             [--warmup 1] [--requests 1000000] [--log-level info]
 *                                             [--generator undici|wrk|both]
 *
 * Two load generators: `undici` (bench/lib/load.ts, the one every wxhub bench uses) and `wrk`
 * (C, when installed), which needs less CPU per request and so leaves more of this two-core
 * machine to the server. Prints a table and writes bench/results/hub-throughput.json.
 * Target: hub / bare ≥ 0.8.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { startHubServer } from './lib/hub-server.js';
import {
  announceAndWait,
  type ChildServer,
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
import { runWrk, wrkAvailable } from './lib/wrk.js';

const SELF = fileURLToPath(import.meta.url);
const APPID = 'wx0b0be00c00000001';
const SECRET = 'hubbenchsecret000000000000000001';

/** Child mode: node:http answering the hub's body and content type to every request. */
async function serveBare(): Promise<void> {
  const body = Buffer.from(process.env.BENCH_BODY ?? '{}');
  const type = process.env.BENCH_TYPE ?? 'application/json; charset=utf-8';
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': type, 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  announceAndWait(`http://127.0.0.1:${port}`, () => new Promise((resolve) => server.close(resolve)));
}

type Run = Summary & { serverCpuUsPerRequest: number | undefined; serverCpuShare: number | undefined };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      concurrency: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '5' },
      requests: { type: 'string', default: '1000000' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      'log-level': { type: 'string', default: 'info' },
      generator: { type: 'string', default: 'both' },
    },
  });
  if (values.serve === 'bare') return serveBare();

  const concurrency = Number(values.concurrency);
  const durationMs = Number(values.seconds) * 1000;
  const maxRequests = Number(values.requests);
  const warmupMs = Number(values.warmup) * 1000;
  const rounds = Number(values.rounds);
  const logLevel = values['log-level']!;
  const generators = (values.generator === 'both' ? ['undici', 'wrk'] : [values.generator!]).filter(
    (g) => g !== 'wrk' || wrkAvailable(),
  );
  if (generators.length === 0) throw new Error('no load generator (wrk is not installed)');

  const servers: ChildServer[] = [];
  try {
    const { server: simServer, control } = await startSimChild();
    servers.push(simServer);
    await control.createAccount({ appid: APPID, secret: SECRET });
    const hub = await startHubServer({
      simUrl: simServer.url,
      appid: APPID,
      secret: SECRET,
      logLevel,
      scopes: ['token'],
    });
    servers.push(hub);
    const { key } = hub;
    const path = `/v1/accounts/${APPID}/access-token`;
    const headers = { authorization: `Bearer ${key}` };
    const first = await request(`${hub.url}${path}`, { headers });
    const body = await first.body.text();
    if (first.statusCode !== 200 || !body.includes('access_token'))
      throw new Error(`hub answered ${first.statusCode} ${body}`);
    const type = String(first.headers['content-type']);
    const bare = await startChildServer([SELF, '--serve', 'bare'], {
      env: { BENCH_BODY: body, BENCH_TYPE: type },
    });
    servers.push(bare);

    const targets = [
      { name: 'hub', url: hub.url, pid: hub.child.pid },
      { name: 'bare node:http', url: bare.url, pid: bare.child.pid },
    ];
    const runs: Record<string, Record<string, Run[]>> = {};
    const measure = async (generator: string, origin: string, ms: number): Promise<Summary> => {
      if (generator === 'wrk')
        return runWrk({ origin, path, headers, connections: concurrency, durationMs: ms });
      return summarize(
        await runLoad({
          origin,
          request: { path, headers },
          concurrency,
          durationMs: ms,
          maxRequests,
          ok: (s) => s === 200,
        }),
      );
    };

    const loadBefore = loadavg().map((v) => round(v, 2));
    process.stdout.write(
      `GET ${path} (warm token, logging ${logLevel}), ${concurrency} concurrent, ${rounds} round(s) of ${durationMs / 1000} s, ${warmupMs / 1000} s warm-up, generators: ${generators.join(', ')}\n`,
    );
    for (const generator of generators) {
      runs[generator] = Object.fromEntries(targets.map((t) => [t.name, []]));
      for (let roundNo = 1; roundNo <= rounds; roundNo++) {
        for (const target of roundNo % 2 ? targets : [...targets].reverse()) {
          await measure(generator, target.url, warmupMs);
          const cpuBefore = processCpuSeconds(target.pid);
          const summary = await measure(generator, target.url, durationMs);
          const cpuAfter = processCpuSeconds(target.pid);
          if (summary.errors) throw new Error(`${generator} ${target.name}: ${summary.errors} errors`);
          const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
          runs[generator]![target.name]!.push({
            ...summary,
            serverCpuUsPerRequest: cpu === undefined ? undefined : round((cpu * 1e6) / summary.requests, 1),
            serverCpuShare: cpu === undefined ? undefined : round(cpu / summary.seconds, 2),
          });
          process.stdout.write(
            `  ${generator} round ${roundNo} ${target.name}: ${summary.rps.toLocaleString('en-US')} req/s, p99 ${summary.p99Ms} ms, server CPU ${cpu === undefined ? 'n/a' : `${round(cpu / summary.seconds, 2)} core`}\n`,
          );
        }
      }
    }
    const fetches = callsOf(await control.stats(), APPID, '/cgi-bin/token');
    if (fetches !== 1) throw new Error(`expected one upstream token fetch, saw ${fetches}`);

    const rows = generators.flatMap((generator) => {
      const bareRps = median(runs[generator]!['bare node:http']!.map((s) => s.rps));
      return targets.map((target) => {
        const list = runs[generator]![target.name]!;
        const rps = median(list.map((s) => s.rps));
        const cpuUs = list.map((s) => s.serverCpuUsPerRequest).filter((v): v is number => v !== undefined);
        return {
          generator,
          server: target.name,
          'req/s': round(rps, 0),
          'p50 ms': round(median(list.map((s) => s.p50Ms)), 3),
          'p99 ms': round(median(list.map((s) => s.p99Ms)), 3),
          ratio: round(rps / bareRps, 2),
          'server CPU µs/req': cpuUs.length ? round(median(cpuUs), 1) : undefined,
        };
      });
    });
    process.stdout.write('\n');
    printTable(rows);
    const ratios: Record<string, { rps: number; cpu: number | undefined }> = {};
    for (const generator of generators) {
      const [hubRow, bareRow] = rows.filter((r) => r.generator === generator);
      const hubCpu = hubRow!['server CPU µs/req'];
      const bareCpu = bareRow!['server CPU µs/req'];
      ratios[generator] = {
        rps: hubRow!.ratio,
        cpu: hubCpu && bareCpu ? round(bareCpu / hubCpu, 2) : undefined,
      };
      process.stdout.write(
        `\n${generator}: hub / bare = ${hubRow!.ratio} by req/s${ratios[generator]!.cpu === undefined ? '' : `, ${ratios[generator]!.cpu} by server CPU per request`} (target >= 0.8)`,
      );
    }
    process.stdout.write('\n');
    const file = await writeResults('hub-throughput', {
      loadAverage: { before: loadBefore, after: loadavg().map((v) => round(v, 2)) },
      endpoint: `GET ${path}`,
      settings: { concurrency, durationMs, maxRequests, warmupMs, rounds, logLevel, generators },
      responseBytes: Buffer.byteLength(body),
      upstreamTokenFetches: fetches,
      ratios,
      target: 0.8,
      summary: rows,
      runs,
    });
    process.stdout.write(`results: ${file}\n`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

runMain('hub-throughput', main);
