/**
 * The simulator's `GET /cgi-bin/user/info` throughput against a bare `node:http` server answering
 * the same bytes, side by side: each server in its own process, the closed-loop load generator
 * here, a warm-up before each measurement, rounds alternating between the two.
 *
 *   node --import tsx bench/sim-throughput.ts [--concurrency 50] [--seconds 5] [--requests 300000]
 *                                              [--warmup 2] [--rounds 2]
 *
 * Prints a table and writes bench/results/sim-throughput.json. Target: ratio ≥ 0.7.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { createSimulator } from '../src/sim/index.js';
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

const SELF = fileURLToPath(import.meta.url);
const APPID = 'wxbench00000000001';
const SECRET = 'benchsecret0000000000000000000001';
const OPENID = 'oBenchUserAAAAAAAAAAAAAAAAAA';

/** Child mode: the simulator with one account and one follower, request logging off. */
async function serveSim(): Promise<void> {
  const { app } = createSimulator({
    fixture: {
      accounts: [
        {
          appid: APPID,
          secret: SECRET,
          unionBound: true,
          users: [
            {
              openid: OPENID,
              nickname: '压测 Bench',
              subscribeScene: 'ADD_SCENE_QR_CODE',
              tagidList: [1, 2],
            },
          ],
        },
      ],
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  announceAndWait(`http://127.0.0.1:${port}`, () => app.close());
}

/** Child mode: node:http answering the same body and content type to every request. */
async function serveBare(): Promise<void> {
  const body = Buffer.from(process.env.BENCH_BODY ?? '{}');
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; encoding=utf-8', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  announceAndWait(`http://127.0.0.1:${port}`, () => new Promise((resolve) => server.close(resolve)));
}

/** Child mode: Fastify with one route answering the same bytes: the framework's own floor. */
async function serveFastify(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const body = process.env.BENCH_BODY ?? '{}';
  const app = Fastify({ logger: false });
  app.get('/cgi-bin/user/info', (_request, reply) => {
    reply
      .header('content-type', 'application/json; encoding=utf-8')
      .serializer((p: unknown) => p as string)
      .send(body);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  announceAndWait(`http://127.0.0.1:${port}`, () => app.close());
}

async function getText(url: string): Promise<string> {
  const res = await request(url);
  return res.body.text();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      concurrency: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '5' },
      requests: { type: 'string', default: '300000' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '2' },
    },
  });
  if (values.serve === 'sim') return serveSim();
  if (values.serve === 'bare') return serveBare();
  if (values.serve === 'fastify') return serveFastify();

  const concurrency = Number(values.concurrency);
  const durationMs = Number(values.seconds) * 1000;
  const maxRequests = Number(values.requests);
  const warmupMs = Number(values.warmup) * 1000;
  const rounds = Number(values.rounds);

  const servers: ChildServer[] = [];
  try {
    const sim = await startChildServer([SELF, '--serve', 'sim']);
    servers.push(sim);
    const tokenBody = JSON.parse(
      await getText(`${sim.url}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`),
    ) as { access_token: string };
    const path = `/cgi-bin/user/info?access_token=${tokenBody.access_token}&openid=${OPENID}&lang=zh_CN`;
    const body = await getText(`${sim.url}${path}`);
    if (!body.includes(OPENID)) throw new Error(`unexpected user/info body: ${body}`);
    const bare = await startChildServer([SELF, '--serve', 'bare'], { env: { BENCH_BODY: body } });
    servers.push(bare);
    if ((await getText(`${bare.url}${path}`)) !== body)
      throw new Error('bare server answers a different body');
    const fastify = await startChildServer([SELF, '--serve', 'fastify'], { env: { BENCH_BODY: body } });
    servers.push(fastify);

    const targets = [
      { name: 'simulator', url: sim.url, pid: sim.child.pid },
      { name: 'bare node:http', url: bare.url, pid: bare.child.pid },
      // Reference only: how much of the gap is the framework rather than the simulator's logic.
      { name: 'bare fastify (reference)', url: fastify.url, pid: fastify.child.pid },
    ];
    type Run = Summary & { serverCpuUsPerRequest: number | undefined; serverCpuShare: number | undefined };
    const runs: Record<string, Run[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
    const load = (origin: string, ms: number, max: number) =>
      runLoad({
        origin,
        request: { path },
        concurrency,
        durationMs: ms,
        maxRequests: max,
        ok: (s) => s === 200,
      });

    process.stdout.write(
      `GET /cgi-bin/user/info, ${concurrency} concurrent, ${rounds} round(s) of up to ${durationMs / 1000} s or ${maxRequests.toLocaleString('en-US')} requests each, ${warmupMs / 1000} s warm-up\n`,
    );
    for (let roundNo = 1; roundNo <= rounds; roundNo++) {
      for (const target of roundNo % 2 ? targets : [...targets].reverse()) {
        await load(target.url, warmupMs, maxRequests);
        const cpuBefore = processCpuSeconds(target.pid);
        const summary = summarize(await load(target.url, durationMs, maxRequests));
        const cpuAfter = processCpuSeconds(target.pid);
        if (summary.errors) throw new Error(`${target.name}: ${summary.errors} errors`);
        const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
        runs[target.name]!.push({
          ...summary,
          serverCpuUsPerRequest: cpu === undefined ? undefined : round((cpu * 1e6) / summary.requests, 1),
          serverCpuShare: cpu === undefined ? undefined : round(cpu / summary.seconds, 2),
        });
        process.stdout.write(
          `  round ${roundNo} ${target.name}: ${summary.rps.toLocaleString('en-US')} req/s, server CPU ${cpu === undefined ? 'n/a' : `${round(cpu / summary.seconds, 2)} core`}\n`,
        );
      }
    }

    const bareRps = median(runs[targets[1]!.name]!.map((s) => s.rps));
    const rows = targets.map((target) => {
      const list = runs[target.name]!;
      const rps = median(list.map((s) => s.rps));
      const cpuUs = list.map((s) => s.serverCpuUsPerRequest).filter((v): v is number => v !== undefined);
      return {
        server: target.name,
        'req/s': round(rps, 0),
        'p50 ms': round(median(list.map((s) => s.p50Ms)), 3),
        'p99 ms': round(median(list.map((s) => s.p99Ms)), 3),
        ratio: round(rps / bareRps, 2),
        'server CPU µs/req': cpuUs.length ? round(median(cpuUs), 1) : undefined,
      };
    });
    process.stdout.write('\n');
    printTable(rows);
    const ratio = rows[0]!.ratio;
    // Server CPU per request stays meaningful when the load generator, sharing the machine, is
    // what limits req/s: bare µs/req ÷ simulator µs/req is the capacity ratio on one core.
    const simCpu = rows[0]!['server CPU µs/req'];
    const bareCpu = rows[1]!['server CPU µs/req'];
    const cpuRatio = simCpu && bareCpu ? round(bareCpu / simCpu, 2) : undefined;
    process.stdout.write(`\nsimulator / bare ratio: ${ratio} req/s (target >= 0.7)`);
    process.stdout.write(cpuRatio === undefined ? '\n' : `, ${cpuRatio} by server CPU per request\n`);
    const file = await writeResults('sim-throughput', {
      endpoint: 'GET /cgi-bin/user/info',
      settings: { concurrency, durationMs, maxRequests, warmupMs, rounds },
      responseBytes: Buffer.byteLength(body),
      ratio,
      cpuRatio,
      target: 0.7,
      summary: rows,
      runs,
    });
    process.stdout.write(`results: ${file}\n`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

runMain('sim-throughput', main);
