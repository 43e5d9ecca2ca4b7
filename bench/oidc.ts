/**
 * Complete OpenID Connect logins per second beside the ticket flow's, in the same run, against one
 * hub in its own process (`wxhub serve`, bench/lib/hub-server.ts: SQLite store and database, as an
 * operator runs it) with the simulator in another; this process is the people's browsers and the
 * relying party. Both in WeChat's browser with `snsapi_userinfo`, both for known people (each was
 * logged in once before); the flows are in bench/lib/login-flows.ts:
 *
 * - ticket flow: `/oauth/:appid/login` → consent (X-Sim-User) → callback → `POST /v1/oauth/tickets/redeem`;
 * - OIDC: openid-client builds the authorization request (PKCE S256, state, nonce) → `/oidc/auth`
 *   → interaction → consent → the hub's WeChat callback → resume → the client's redirect URI →
 *   token endpoint (code + verifier, ID token signature and claims checked) → userinfo;
 * - oidc-provider alone (bench/lib/bare-provider.ts, its own process): the same OIDC login against
 *   the library with nothing around it (memory adapter, the `login_hint` logged in at once), for
 *   the ceiling: a WeChat login through the library does both its work and the ticket flow's.
 *
 * The flows alternate in rounds (ticket, OIDC, alone, ticket…), so drift of a shared VM falls on all;
 * the ratio is OIDC logins/s over ticket logins/s summed over the rounds (target ≥ 0.5). Each row
 * gives the CPU per login of each process: the hub, this one, the simulator.
 *
 * `--breakdown N` then runs N logins of each flow one at a time and charges each HTTP request's
 * CPU to the hub, this process and the simulator (per-thread scheduler counters, in ns).
 *
 *   node --import tsx/esm bench/oidc.ts [--seconds 5] [--logins 1000] [--rounds 2] [--concurrency 16]
 *     [--only ticket|oidc|bare] [--breakdown N] [--alg RS256|ES256]
 *
 * A profile of the hub alone: `BENCH_HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p"`.
 * Prints tables and writes bench/results/oidc.json.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as oidc from 'openid-client';
import { serveBareProvider } from './lib/bare-provider.js';
import { startChildServer } from './lib/child-server.js';
import { startHubServer } from './lib/hub-server.js';
import { printTable, processCpuNanos, round, type Summary, writeResults } from './lib/index.js';
import { browserGet, type HopObserver, oidcFlow, Pools, ticketFlow } from './lib/login-flows.js';
import { measureLogins } from './lib/measure-logins.js';
import { runMain } from './lib/run-main.js';
import { startSimChild } from './lib/sim-control.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    logins: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
    /** Measure one flow only (for a profile of it): `ticket` or `oidc`. */
    only: { type: 'string' },
    /** Logins of each flow, one at a time, for the CPU of each HTTP request. 0: none. */
    breakdown: { type: 'string', default: '0' },
    /** How the client's ID tokens are signed: RS256 (every client's default) or ES256. */
    alg: { type: 'string', default: 'RS256' },
    /** Child mode: `bare-provider` serves oidc-provider alone on `--port`. */
    serve: { type: 'string' },
    port: { type: 'string' },
  },
});
const SECONDS = Number(flags.seconds);
const LOGINS = Number(flags.logins);
const ROUNDS = Number(flags.rounds);
const CONCURRENCY = Number(flags.concurrency);
const BREAKDOWN = Number(flags.breakdown);
const ALG = flags.alg === 'ES256' ? 'ES256' : 'RS256';
const PEOPLE = 400;
const WARMUP = 50;
const TARGET = 0.5;
const RETURN_TO = 'https://app.example.com/after-login';
const REDIRECT_URI = 'https://rp.example.com/cb';

type Flow = 'ticket' | 'oidc' | 'bare';

const FLOW_NAMES: Record<Flow, string> = {
  ticket: 'ticket flow',
  oidc: 'OpenID Connect (openid-client)',
  bare: 'oidc-provider alone (openid-client)',
};

interface Row extends Summary {
  readonly flow: Flow;
  readonly round: number;
  /** CPU of this process (the load generator and the relying party) per login, µs. */
  readonly benchCpuUsPerLogin: number;
  /** CPU of the hub's process per login, µs. */
  readonly hubCpuUsPerLogin?: number | null;
  /** CPU of the simulator's process per login, µs. */
  readonly simCpuUsPerLogin: number | null;
}

/** The mean CPU of one HTTP request of a flow, by process, µs. */
interface HopRow {
  readonly flow: Flow;
  readonly hop: string;
  readonly hubUs: number;
  readonly benchUs: number;
  readonly simUs: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Charges each request of a login to each process: the hub's and the simulator's threads by their
 * scheduler counters (ns), this one by `process.cpuUsage`. Logins must run one at a time.
 */
class HopMeter {
  readonly #sums = new Map<string, { n: number; hub: number; bench: number; sim: number }>();
  constructor(
    private readonly hubPid: number | undefined,
    private readonly simPid: number | undefined,
  ) {}

  readonly observe: HopObserver = async (hop, send) => {
    const hub0 = processCpuNanos(this.hubPid) ?? 0;
    const sim0 = processCpuNanos(this.simPid) ?? 0;
    const bench0 = process.cpuUsage();
    try {
      return await send();
    } finally {
      const bench = process.cpuUsage(bench0);
      const sum = this.#sums.get(hop) ?? { n: 0, hub: 0, bench: 0, sim: 0 };
      sum.n++;
      sum.hub += ((processCpuNanos(this.hubPid) ?? 0) - hub0) / 1000;
      sum.sim += ((processCpuNanos(this.simPid) ?? 0) - sim0) / 1000;
      sum.bench += bench.user + bench.system;
      this.#sums.set(hop, sum);
    }
  };

  rows(flow: Flow): HopRow[] {
    return [...this.#sums].map(([hop, s]) => ({
      flow,
      hop,
      hubUs: round(s.hub / s.n, 0),
      benchUs: round(s.bench / s.n, 0),
      simUs: round(s.sim / s.n, 0),
    }));
  }
}

const SELF = fileURLToPath(import.meta.url);

async function main(): Promise<void> {
  if (flags.serve === 'bare-provider')
    return serveBareProvider(Number(flags.port), { clientId: 'bench', redirectUri: REDIRECT_URI, alg: ALG });
  const { server, control } = await startSimChild();
  const simPid = server.child.pid;
  const sim = server.url.replace(/\/+$/, '');
  const appid = `wx${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(16).toString('hex');
  const pools = new Pools(CONCURRENCY * 2);
  const rows: Row[] = [];
  const hops: HopRow[] = [];
  let hub: Awaited<ReturnType<typeof startHubServer>> | undefined;
  let bare: Awaited<ReturnType<typeof startChildServer>> | undefined;
  try {
    await control.createAccount({
      appid,
      secret,
      unionBound: true,
      oauthDomains: ['127.0.0.1', 'localhost'],
      users: Array.from({ length: PEOPLE }, (_, i) => ({
        nickname: `用户${i}`,
        subscribe: i % 3 === 0 ? 0 : 1,
      })),
    });
    const listed = await browserGet(pools, new URL(`${sim}/__sim/accounts/${appid}/users`));
    const people = (JSON.parse(listed.text) as { users: { openid: string }[] }).users.map((u) => u.openid);

    // The issuer is fixed before the hub listens: its port is chosen here.
    const port = await freePort();
    const hubUrl = `http://127.0.0.1:${port}`;
    hub = await startHubServer({
      simUrl: sim,
      appid,
      secret,
      port,
      scopes: ['oauth'],
      account: { oauth: { returnTo: ['https://app.example.com'], defaultScope: 'snsapi_userinfo' } },
      config: {
        publicUrl: hubUrl,
        wechat: { apiBase: sim, openBase: sim, mpBase: sim, timeoutMs: 5000 },
        oauth: {
          encryptionKey: 'env:BENCH_OAUTH_KEY',
          loginRateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
        },
        oidc: {
          clients: [
            // RS256 is left to the default, as most clients are configured.
            {
              client_id: 'bench',
              redirect_uris: [REDIRECT_URI],
              appid,
              ...(ALG === 'RS256' ? {} : { id_token_signed_response_alg: ALG }),
            },
          ],
        },
        rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
      },
      env: { BENCH_OAUTH_KEY: randomBytes(32).toString('base64') },
    });
    const hubPid = hub.child.pid;
    const targets = { pools, sim, hubUrl };
    const rp = await oidc.discovery(
      new URL(`${hubUrl}/oidc`),
      'bench',
      { id_token_signed_response_alg: ALG },
      oidc.None(),
      { execute: [oidc.allowInsecureRequests] },
    );
    const barePort = await freePort();
    bare = await startChildServer(
      [SELF, '--serve', 'bare-provider', '--port', String(barePort), '--alg', ALG],
      { esmOnly: true },
    );
    const bareRp = await oidc.discovery(
      new URL(bare.url),
      'bench',
      { id_token_signed_response_alg: ALG },
      oidc.None(),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    const logins = (observe?: HopObserver) => ({
      ticket: ticketFlow(targets, { appid, key: hub!.key, returnTo: RETURN_TO }, observe),
      oidc: oidcFlow(targets, { rp, redirectUri: REDIRECT_URI }, observe),
      bare: oidcFlow(targets, { rp: bareRp, redirectUri: REDIRECT_URI, loginHint: true }, observe),
    });
    const login = logins();

    // Everyone logs in once (the users exist), then each flow warms up.
    for (const openid of people) await login.ticket(openid);
    for (let i = 0; i < WARMUP; i++) await login.oidc(people[i]!);
    for (let i = 0; i < WARMUP; i++) await login.ticket(people[i]!);
    for (let i = 0; i < WARMUP; i++) await login.bare(people[i]!);

    const flows = (['ticket', 'oidc', 'bare'] as const).filter((f) => !flags.only || flags.only === f);
    for (let round_ = 1; round_ <= ROUNDS; round_++) {
      for (const flow of flows) {
        const { row } = await measureLogins(
          (i) => login[flow](people[i % people.length]!),
          `${flow} round ${round_}`,
          {
            concurrency: CONCURRENCY,
            logins: LOGINS,
            seconds: SECONDS,
            simPid,
            hubPid: flow === 'bare' ? bare.child.pid : hubPid,
          },
        );
        rows.push({ flow, round: round_, ...row });
      }
    }
    for (const flow of BREAKDOWN > 0 ? flows : []) {
      const meter = new HopMeter(flow === 'bare' ? bare.child.pid : hubPid, simPid);
      const metered = logins(meter.observe)[flow];
      for (let i = 0; i < BREAKDOWN; i++) await metered(people[i % people.length]!);
      hops.push(...meter.rows(flow));
    }
  } finally {
    await hub?.stop();
    await bare?.stop();
    await pools.close();
    await server.stop();
  }

  const total = (flow: Flow) => {
    const of = rows.filter((r) => r.flow === flow);
    const logins = of.reduce((n, r) => n + r.requests, 0);
    const seconds = of.reduce((s, r) => s + r.requests / Math.max(r.rps, 1e-9), 0);
    return { logins, rps: round(logins / seconds, 1) };
  };
  const ticket = total('ticket');
  const viaOidc = total('oidc');
  const ratio = round(viaOidc.rps / ticket.rps, 2);
  const alone = total('bare');
  // A login through wxhub does a WeChat login (the ticket flow's part) and an OpenID Connect
  // login (oidc-provider's part): with the machine's CPU the limit, about 1 / (1/T + 1/B).
  const ceiling = alone.logins ? round(1 / (1 + ticket.rps / alone.rps), 2) : undefined;
  printTable(
    rows.map((r) => ({
      flow: FLOW_NAMES[r.flow],
      round: r.round,
      'logins/s': r.rps,
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      errors: r.errors,
      logins: r.requests,
      'hub (provider) CPU µs': r.hubCpuUsPerLogin ?? undefined,
      'bench/RP CPU µs': r.benchCpuUsPerLogin,
      'sim CPU µs': r.simCpuUsPerLogin ?? undefined,
    })),
  );
  process.stdout.write(
    `OIDC ${viaOidc.rps} logins/s vs ticket flow ${ticket.rps} logins/s: ratio ${ratio} (target ≥ ${TARGET}: ${ratio >= TARGET ? 'met' : 'NOT met'})\n`,
  );
  if (ceiling !== undefined)
    process.stdout.write(
      `oidc-provider alone ${alone.rps} logins/s: a login doing a ticket login's work and oidc-provider's reaches about ${ceiling} of the ticket flow (1 / (1 + T/B)); wxhub reaches ${round(ratio / ceiling, 2)} of that\n`,
    );
  if (hops.length > 0) {
    process.stdout.write(`\nCPU per HTTP request, ${BREAKDOWN} logins of each flow one at a time:\n`);
    const sum = (flow: Flow, field: 'hubUs' | 'benchUs' | 'simUs') =>
      hops.filter((h) => h.flow === flow).reduce((n, h) => n + h[field], 0);
    printTable([
      ...hops.map((h) => ({
        flow: h.flow,
        request: h.hop,
        'hub (provider) µs': h.hubUs,
        'bench/RP µs': h.benchUs,
        'sim µs': h.simUs,
      })),
      ...[...new Set(hops.map((h) => h.flow))].map((flow) => ({
        flow,
        request: '(login)',
        'hub (provider) µs': sum(flow, 'hubUs'),
        'bench/RP µs': sum(flow, 'benchUs'),
        'sim µs': sum(flow, 'simUs'),
      })),
    ]);
  }
  const out = await writeResults('oidc', {
    settings: {
      seconds: SECONDS,
      logins: LOGINS,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      people: PEOPLE,
      idTokenAlg: ALG,
    },
    topology: 'hub (wxhub serve), simulator, and load generator with the relying party: three processes',
    loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
    rows,
    ...(hops.length > 0 ? { breakdown: { logins: BREAKDOWN, hops } } : {}),
    summary: {
      ticketLoginsPerSecond: ticket.rps,
      oidcLoginsPerSecond: viaOidc.rps,
      ratio,
      bareProviderLoginsPerSecond: alone.rps,
      ceiling,
      target: TARGET,
      met: ratio >= TARGET,
    },
  });
  process.stdout.write(`wrote ${out}\n`);
}

runMain('oidc', main);
