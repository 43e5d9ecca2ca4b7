/**
 * Complete web logins per second through the hub: login → consent (X-Sim-User) → callback →
 * code exchange → /sns/userinfo → /cgi-bin/user/info → bind → redeem, on SQLite and on
 * PostgreSQL, with the simulator in a child process. For context, the same run measures the bare
 * simulator round trips a login needs (authorize, exchange, userinfo, user/info) without the hub:
 * the difference is what wxhub adds (three hub requests, the state and ticket in the store, the
 * bind transaction and AES-GCM sealing of two tokens).
 *
 *   node --import tsx bench/logins.ts [--seconds 10] [--logins 2000] [--concurrency 16]
 *
 * PostgreSQL: WXHUB_BENCH_POSTGRES_URL (else WXHUB_TEST_POSTGRES_URL, else
 * postgres://postgres@127.0.0.1:5432/test); skipped with a note when unreachable.
 * Prints a table and writes bench/results/logins.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { Pool } from 'undici';
import { type Database, PostgresDatabase } from '../src/db/index.js';
import { type StartedHub, startHub } from '../src/hub/index.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import type { Store } from '../src/store/store.js';
import { printTable, round, writeResults } from './lib/index.js';
import { type LoginRow, measureLogins } from './lib/measure-logins.js';
import { runMain } from './lib/run-main.js';
import { startSimChild } from './lib/sim-control.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    logins: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
  },
});
const SECONDS = Number(flags.seconds);
const LOGINS = Number(flags.logins);
const CONCURRENCY = Number(flags.concurrency);
const WARMUP = 50;
const RETURN_TO = 'https://app.example.com/after-login?from=bench';
const PG_URL =
  process.env.WXHUB_BENCH_POSTGRES_URL ??
  process.env.WXHUB_TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/test';

interface Row extends LoginRow {
  readonly mode: string;
  readonly phase: string;
}

let simPid: number | undefined;

/** A closed-loop phase of `login(i)` at this run's load. */
function measure(login: (i: number) => Promise<void>, label: string) {
  return measureLogins(login, label, { concurrency: CONCURRENCY, logins: LOGINS, seconds: SECONDS, simPid });
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

async function get(origin: string, path: string, headers: Record<string, string> = {}) {
  const res = await pool(origin).request({ method: 'GET', path, headers });
  const text = await res.body.text();
  return { status: res.statusCode, location: res.headers.location as string | undefined, text };
}

function expectStatus(what: string, got: number, want: number, text: string): void {
  if (got !== want) throw new Error(`${what}: HTTP ${got} (want ${want}) ${text.slice(0, 200)}`);
}

async function main(): Promise<void> {
  const { server, control } = await startSimChild();
  simPid = server.child.pid;
  const sim = server.url.replace(/\/+$/, '');
  const appid = `wx${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(16).toString('hex');
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const users = Array.from({ length: (LOGINS + WARMUP) * 3 }, (_, i) => ({
      nickname: `用户${i}`,
      subscribe: i % 3 === 0 ? 0 : 1,
    }));
    await control.createAccount({
      appid,
      secret,
      unionBound: true,
      oauthDomains: ['127.0.0.1', 'localhost'],
      users,
    });
    const listed = await get(sim, `/__sim/accounts/${appid}/users`);
    const openids = (JSON.parse(listed.text) as { users: { openid: string }[] }).users.map((u) => u.openid);
    let nextUser = 0;
    const takeUsers = (n: number) => {
      const taken = openids.slice(nextUser, nextUser + n);
      nextUser += n;
      return taken;
    };

    rows.push(...(await baseline(sim, appid, secret, takeUsers)));

    const dir = mkdtempSync(join(tmpdir(), 'wxhub-bench-logins-'));
    try {
      const file = join(dir, 'hub.db');
      const backend = { storeUrl: `sqlite:${file}`, databaseUrl: `sqlite:${file}` };
      rows.push(...(await throughHub('SQLite', backend, sim, appid, secret, takeUsers)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    if (await pgReachable()) {
      // Store (states, tickets) and database on one schema of the server, with their default pools.
      const schema = `wxhub_bench_${randomBytes(4).toString('hex')}`;
      const store = new PostgresStore({ url: PG_URL, schema });
      const database = new PostgresDatabase({ url: PG_URL, schema });
      try {
        rows.push(...(await throughHub('PostgreSQL', { store, database }, sim, appid, secret, takeUsers)));
      } finally {
        await store.close();
        await database.close();
        await dropSchema(schema);
      }
    } else {
      notes.push(`PostgreSQL skipped: ${PG_URL.replace(/:[^:@/]*@/, ':***@')} unreachable`);
    }
  } finally {
    for (const p of pools.values()) await p.close();
    await server.stop();
  }

  const simRow = rows.find((r) => r.mode === 'simulator alone');
  printTable(
    rows.map((r) => ({
      mode: r.mode,
      phase: r.phase,
      'logins/s': r.rps,
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      errors: r.errors,
      logins: r.requests,
      'vs sim': simRow ? round(r.rps / simRow.rps, 2) : undefined,
      'sim CPU µs': r.simCpuUsPerLogin ?? undefined,
      'bench+hub CPU µs': r.benchCpuUsPerLogin,
      'hub CPU µs (est.)':
        simRow && r !== simRow ? r.benchCpuUsPerLogin - simRow.benchCpuUsPerLogin : undefined,
    })),
  );
  for (const note of notes) process.stdout.write(`${note}\n`);
  const file = await writeResults('logins', {
    settings: { seconds: SECONDS, logins: LOGINS, concurrency: CONCURRENCY, warmup: WARMUP },
    loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
    rows,
    notes,
  });
  process.stdout.write(`wrote ${file}\n`);
}

/** The four WeChat round trips of one login, straight to the simulator: what a login costs anyway. */
async function baseline(
  sim: string,
  appid: string,
  secret: string,
  takeUsers: (n: number) => string[],
): Promise<Row[]> {
  const token = JSON.parse(
    (await get(sim, `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)).text,
  ).access_token as string;
  const redirect = encodeURIComponent('http://127.0.0.1/cb');
  const once = async (openid: string) => {
    const auth = await get(
      sim,
      `/connect/oauth2/authorize?appid=${appid}&redirect_uri=${redirect}&response_type=code&scope=snsapi_userinfo&state=bench`,
      { 'x-sim-user': openid },
    );
    expectStatus('authorize', auth.status, 302, auth.text);
    const code = new URL(auth.location!).searchParams.get('code')!;
    const exchange = await get(
      sim,
      `/sns/oauth2/access_token?appid=${appid}&secret=${secret}&code=${code}&grant_type=authorization_code`,
    );
    const web = JSON.parse(exchange.text) as { access_token: string };
    if (!web.access_token) throw new Error(`exchange: ${exchange.text}`);
    const info = await get(sim, `/sns/userinfo?access_token=${web.access_token}&openid=${openid}&lang=zh_CN`);
    if (!info.text.includes('nickname')) throw new Error(`userinfo: ${info.text}`);
    const follows = await get(sim, `/cgi-bin/user/info?access_token=${token}&openid=${openid}`);
    if (!follows.text.includes('subscribe')) throw new Error(`user/info: ${follows.text}`);
  };
  for (const openid of takeUsers(WARMUP)) await once(openid);
  const users = takeUsers(LOGINS);
  const { row } = await measure((i) => once(users[i % users.length]!), 'baseline');
  return [{ mode: 'simulator alone', phase: '4 WeChat round trips', ...row }];
}

/** Logins through a hub on `database`: first logins (new users), then the same people again. */
async function throughHub(
  mode: string,
  backend: { storeUrl?: string; databaseUrl?: string; store?: Store; database?: Database },
  sim: string,
  appid: string,
  secret: string,
  takeUsers: (n: number) => string[],
): Promise<Row[]> {
  const hub: StartedHub = await startHub({
    config: {
      store: backend.storeUrl ?? 'memory:',
      database: backend.databaseUrl ?? 'memory:',
      wechat: { apiBase: sim, openBase: sim, timeoutMs: 5000 },
      accounts: [
        {
          appid,
          secret,
          tokenMode: 'classic',
          oauth: { returnTo: ['https://app.example.com'], defaultScope: 'snsapi_userinfo' },
        },
      ],
      oauth: { encryptionKey: randomBytes(32).toString('base64') },
      rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
    },
    store: backend.store,
    database: backend.database,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    proactiveRefresh: false,
  });
  const hubUrl = hub.url.replace(/\/+$/, '');
  const key = (await hub.services.keys.create({ name: 'bench', appids: [appid], scopes: ['oauth'] })).key;
  const loginPath = `/oauth/${appid}/login?return_to=${encodeURIComponent(RETURN_TO)}&scope=snsapi_userinfo`;

  const once = async (openid: string, expectNew: boolean | null) => {
    const start = await get(hubUrl, loginPath);
    expectStatus('login', start.status, 302, start.text);
    const authorize = start.location!.replace('#wechat_redirect', '');
    const consent = await get(sim, authorize.slice(sim.length), { 'x-sim-user': openid });
    expectStatus('consent', consent.status, 302, consent.text);
    const back = new URL(consent.location!);
    const callback = await get(hubUrl, back.pathname + back.search);
    expectStatus('callback', callback.status, 302, callback.text);
    const ticket = new URL(callback.location!).searchParams.get('wxhub_ticket');
    if (!ticket) throw new Error(`callback: no ticket in ${callback.location}`);
    const res = await pool(hubUrl).request({
      method: 'POST',
      path: '/v1/oauth/tickets/redeem',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    });
    const text = await res.body.text();
    expectStatus('redeem', res.statusCode, 200, text);
    const outcome = JSON.parse(text) as { is_new: boolean; identity: { openid: string } };
    if (outcome.identity.openid !== openid) throw new Error('redeem: another openid');
    if (expectNew !== null && outcome.is_new !== expectNew)
      throw new Error(`redeem: is_new ${outcome.is_new}`);
  };

  try {
    for (const openid of takeUsers(WARMUP)) await once(openid, true);
    const people = takeUsers(LOGINS);
    const first = await measure((i) => once(people[i]!, true), `${mode} first`);
    const known = people.slice(0, Math.max(1, first.result.requests - first.result.errors));
    const again = await measure((i) => once(known[i % known.length]!, false), `${mode} again`);
    return [
      { mode: `hub on ${mode}`, phase: 'first login (new user)', ...first.row },
      { mode: `hub on ${mode}`, phase: 'login again (known identity)', ...again.row },
    ];
  } finally {
    await hub.close();
  }
}

async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

runMain('logins', main);
