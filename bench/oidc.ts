/**
 * Complete OpenID Connect logins per second beside the ticket flow's, in the same run, on one
 * hub (SQLite store and database) with the simulator in a child process. Both in WeChat's
 * browser with `snsapi_userinfo`, both for known people (each was logged in once before):
 *
 * - ticket flow: `/oauth/:appid/login` → consent (X-Sim-User) → callback → `POST /v1/oauth/tickets/redeem`;
 * - OIDC: openid-client builds the authorization request (PKCE S256, state, nonce) → `/oidc/auth`
 *   → interaction → consent → the hub's WeChat callback → resume → the client's redirect URI →
 *   token endpoint (code + verifier, ID token signature and claims checked) → userinfo.
 *
 * The two alternate in rounds (ticket, OIDC, ticket, OIDC…), so drift of a shared VM falls on both;
 * the ratio is OIDC logins/s over ticket logins/s summed over the rounds (target ≥ 0.5).
 *
 *   node --import tsx/esm bench/oidc.ts [--seconds 5] [--logins 1000] [--rounds 2] [--concurrency 16] [--only ticket|oidc]
 *
 * Prints a table and writes bench/results/oidc.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as oidc from 'openid-client';
import pino from 'pino';
import { Pool } from 'undici';
import { type StartedHub, startHub } from '../src/hub/index.js';
import { printTable, round, type Summary, writeResults } from './lib/index.js';
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
  },
});
const SECONDS = Number(flags.seconds);
const LOGINS = Number(flags.logins);
const ROUNDS = Number(flags.rounds);
const CONCURRENCY = Number(flags.concurrency);
const PEOPLE = 400;
const WARMUP = 50;
const TARGET = 0.5;
const RETURN_TO = 'https://app.example.com/after-login';
const REDIRECT_URI = 'https://rp.example.com/cb';
const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN';

interface Row extends Summary {
  readonly flow: 'ticket' | 'oidc';
  readonly round: number;
  /** CPU of this process (the hub, and the load generator and relying party) per login, µs. */
  readonly benchCpuUsPerLogin: number;
  /** CPU of the simulator's process per login, µs. */
  readonly simCpuUsPerLogin: number | null;
}

const pools = new Map<string, Pool>();
function pool(origin: string): Pool {
  let p = pools.get(origin);
  if (!p) {
    p = new Pool(origin, { connections: CONCURRENCY * 2, pipelining: 1 });
    pools.set(origin, p);
  }
  return p;
}

/** One GET as a browser would send it: the User-Agent and the cookies of this login. */
async function get(url: URL, headers: Record<string, string> = {}) {
  const res = await pool(url.origin).request({
    method: 'GET',
    path: url.pathname + url.search,
    headers: { 'user-agent': WECHAT_UA, ...headers },
  });
  const text = await res.body.text();
  const setCookie = [res.headers['set-cookie'] ?? []].flat() as string[];
  const location = res.headers.location as string | undefined;
  return { status: res.statusCode, location: location ? new URL(location, url) : undefined, setCookie, text };
}

/** A login's cookies (names only: the paths do not matter to these hops). */
class Jar {
  readonly #cookies = new Map<string, string>();
  take(lines: readonly string[]): void {
    for (const line of lines) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line))
        this.#cookies.delete(pair.slice(0, eq));
      else this.#cookies.set(pair.slice(0, eq).trim(), value);
    }
  }
  header(): Record<string, string> {
    return this.#cookies.size ? { cookie: [...this.#cookies].map(([n, v]) => `${n}=${v}`).join('; ') } : {};
  }
}

function expectStatus(what: string, got: number, want: number | number[], text: string): void {
  if (![want].flat().includes(got)) throw new Error(`${what}: HTTP ${got} ${text.slice(0, 200)}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let simPid: number | undefined;

/** A closed-loop phase of `login(i)` at this run's load: its summary and CPU per login. */
async function measure(login: (i: number) => Promise<void>, label: string) {
  const { row } = await measureLogins(login, label, {
    concurrency: CONCURRENCY,
    logins: LOGINS,
    seconds: SECONDS,
    simPid,
  });
  return row;
}

async function main(): Promise<void> {
  const { server, control } = await startSimChild();
  simPid = server.child.pid;
  const sim = server.url.replace(/\/+$/, '');
  const appid = `wx${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(16).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-bench-oidc-'));
  const rows: Row[] = [];
  let hub: StartedHub | undefined;
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
    const listed = await get(new URL(`${sim}/__sim/accounts/${appid}/users`));
    const people = (JSON.parse(listed.text) as { users: { openid: string }[] }).users.map((u) => u.openid);

    const port = await freePort();
    const hubUrl = `http://127.0.0.1:${port}`;
    const file = join(dir, 'hub.db');
    hub = await startHub({
      config: {
        publicUrl: hubUrl,
        store: `sqlite:${file}`,
        database: `sqlite:${file}`,
        wechat: { apiBase: sim, openBase: sim, mpBase: sim, timeoutMs: 5000 },
        accounts: [
          {
            appid,
            secret,
            tokenMode: 'classic',
            oauth: { returnTo: ['https://app.example.com'], defaultScope: 'snsapi_userinfo' },
          },
        ],
        oauth: {
          encryptionKey: randomBytes(32).toString('base64'),
          loginRateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
        },
        oidc: { clients: [{ client_id: 'bench', redirect_uris: [REDIRECT_URI], appid }] },
        rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
      },
      port,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
    });
    const key = (await hub.services.keys.create({ name: 'bench', appids: [appid], scopes: ['oauth'] })).key;
    const loginUrl = new URL(
      `${hubUrl}/oauth/${appid}/login?return_to=${encodeURIComponent(RETURN_TO)}&scope=snsapi_userinfo`,
    );

    const ticketLogin = async (openid: string) => {
      const start = await get(loginUrl);
      expectStatus('login', start.status, 302, start.text);
      const consent = await get(new URL(start.location!.href.replace(/#.*$/, '')), { 'x-sim-user': openid });
      expectStatus('consent', consent.status, 302, consent.text);
      const callback = await get(consent.location!);
      expectStatus('callback', callback.status, 302, callback.text);
      const ticket = callback.location!.searchParams.get('wxhub_ticket');
      if (!ticket) throw new Error(`callback: no ticket in ${callback.location}`);
      const res = await pool(hubUrl).request({
        method: 'POST',
        path: '/v1/oauth/tickets/redeem',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ticket }),
      });
      const text = await res.body.text();
      expectStatus('redeem', res.statusCode, 200, text);
      if ((JSON.parse(text) as { identity: { openid: string } }).identity.openid !== openid)
        throw new Error('redeem: another openid');
    };

    const rp = await oidc.discovery(new URL(`${hubUrl}/oidc`), 'bench', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const oidcLogin = async (openid: string) => {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      let url: URL = oidc.buildAuthorizationUrl(rp, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      const jar = new Jar();
      for (let hop = 0; !url.href.startsWith(REDIRECT_URI); hop++) {
        if (hop > 10) throw new Error('too many hops');
        const toSim = url.origin === sim;
        const res = await get(
          new URL(url.href.replace(/#.*$/, '')),
          toSim ? { 'x-sim-user': openid } : jar.header(),
        );
        if (!toSim) jar.take(res.setCookie);
        expectStatus(`hop ${url.pathname}`, res.status, [302, 303], res.text);
        url = res.location!;
      }
      const tokens = await oidc.authorizationCodeGrant(rp, url, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      if (claims.openid !== openid) throw new Error('ID token: another openid');
      const info = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
      if (info.openid !== openid) throw new Error('userinfo: another openid');
    };

    // Everyone logs in once (the users exist), then each flow warms up.
    for (const openid of people) await ticketLogin(openid);
    for (let i = 0; i < WARMUP; i++) await oidcLogin(people[i]!);
    for (let i = 0; i < WARMUP; i++) await ticketLogin(people[i]!);

    for (let round_ = 1; round_ <= ROUNDS; round_++) {
      if (flags.only !== 'oidc') {
        const ticket = await measure(
          (i) => ticketLogin(people[i % people.length]!),
          `ticket round ${round_}`,
        );
        rows.push({ flow: 'ticket', round: round_, ...ticket });
      }
      if (flags.only !== 'ticket') {
        const viaOidc = await measure((i) => oidcLogin(people[i % people.length]!), `oidc round ${round_}`);
        rows.push({ flow: 'oidc', round: round_, ...viaOidc });
      }
    }
  } finally {
    await hub?.close();
    for (const p of pools.values()) await p.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const total = (flow: Row['flow']) => {
    const of = rows.filter((r) => r.flow === flow);
    const logins = of.reduce((n, r) => n + r.requests, 0);
    const seconds = of.reduce((s, r) => s + r.requests / Math.max(r.rps, 1e-9), 0);
    return { logins, rps: round(logins / seconds, 1) };
  };
  const ticket = total('ticket');
  const viaOidc = total('oidc');
  const ratio = round(viaOidc.rps / ticket.rps, 2);
  printTable(
    rows.map((r) => ({
      flow: r.flow === 'oidc' ? 'OpenID Connect (openid-client)' : 'ticket flow',
      round: r.round,
      'logins/s': r.rps,
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      errors: r.errors,
      logins: r.requests,
      'bench+hub CPU µs': r.benchCpuUsPerLogin,
      'sim CPU µs': r.simCpuUsPerLogin ?? undefined,
    })),
  );
  process.stdout.write(
    `OIDC ${viaOidc.rps} logins/s vs ticket flow ${ticket.rps} logins/s: ratio ${ratio} (target ≥ ${TARGET}: ${ratio >= TARGET ? 'met' : 'NOT met'})\n`,
  );
  const out = await writeResults('oidc', {
    settings: { seconds: SECONDS, logins: LOGINS, rounds: ROUNDS, concurrency: CONCURRENCY, people: PEOPLE },
    loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
    rows,
    summary: {
      ticketLoginsPerSecond: ticket.rps,
      oidcLoginsPerSecond: viaOidc.rps,
      ratio,
      target: TARGET,
      met: ratio >= TARGET,
    },
  });
  process.stdout.write(`wrote ${out}\n`);
}

runMain('oidc', main);
