/**
 * Appends per second to the gateway's event log on each backend, beside a bare write of the same
 * backend in the same run: what dedup, partition and appid indexes, notification and the
 * driver layers cost over the cheapest durable write of one event.
 *
 * - sqlite: `SqliteEventLog` on a SqliteStore's file, beside a plain `INSERT` of (id, event)
 *   through better-sqlite3 on a file of its own with the store's settings (WAL, synchronous =
 *   NORMAL).
 * - redis: `RedisEventLog` (one Lua script: dedup, two XADDs, PUBLISH), beside a plain `XADD`.
 * - postgres: `PostgresEventLog` (INSERT … ON CONFLICT DO NOTHING + pg_notify), beside a plain
 *   `INSERT` of (id, event) through a pg pool of the same size.
 *
 * Rounds of 200 fresh events of ~1 KB, 50 appends in flight, alternate between the log and the
 * baseline (the order flipping each round) for up to --seconds per backend.
 *
 *   node --import tsx bench/event-log.ts [--seconds 5] [--events 200] [--concurrency 50]
 *
 * Redis: WXHUB_BENCH_REDIS_URL (else WXHUB_TEST_REDIS_URL, else redis://127.0.0.1:6379/15);
 * PostgreSQL: WXHUB_BENCH_POSTGRES_URL (else WXHUB_TEST_POSTGRES_URL, else
 * postgres://postgres@127.0.0.1:5432/test); each skipped with a note when unreachable.
 * Prints a table and writes bench/results/event-log.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { partitionOf } from '../src/gateway/log/event-log.js';
import { openEventLog } from '../src/gateway/log/open-event-log.js';
import type { PushEvent } from '../src/gateway/receive/push-event.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { runClosedLoop } from './lib/closed-loop.js';
import { percentile, printTable, round, writeResults } from './lib/index.js';
import { runMain } from './lib/run-main.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    events: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '50' },
  },
});
const SECONDS = Number(flags.seconds);
const EVENTS = Number(flags.events);
const CONCURRENCY = Number(flags.concurrency);
const PARTITIONS = 16;
const REDIS_URL =
  process.env.WXHUB_BENCH_REDIS_URL ?? process.env.WXHUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const PG_URL =
  process.env.WXHUB_BENCH_POSTGRES_URL ??
  process.env.WXHUB_TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/test';

/** One way to write an event durably, with what it needs closed afterwards. */
interface Writer {
  readonly append: (event: PushEvent) => Promise<unknown>;
  readonly close: () => Promise<void>;
}

interface Backend {
  readonly name: string;
  /** The event log on a fresh namespace, and the bare write of the same backend. */
  readonly open: () => Promise<{ log: Writer; bare: Writer; cleanup: () => Promise<void> }>;
}

let serial = 0;
/** A text push of about 1 KB as the gateway logs it (webhook JSON with its XML). */
function pushEvent(): PushEvent {
  serial++;
  const content = `bench ${serial} ${'汉字 and text '.repeat(22)}`;
  return {
    id: `evt_${randomBytes(18).toString('base64url')}`,
    appid: 'wx00000000000bench',
    openid: `oBenchUser${serial % 500}`,
    type: 'message',
    msg_type: 'text',
    create_time: 1_700_000_000 + serial,
    fields: {
      ToUserName: 'gh_0123456789ab',
      FromUserName: `oBenchUser${serial % 500}`,
      CreateTime: String(1_700_000_000 + serial),
      MsgType: 'text',
      Content: content,
      MsgId: String(24_000_000_000_000_000n + BigInt(serial)),
    },
    xml: `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oBenchUser${serial % 500}]]></FromUserName><CreateTime>${1_700_000_000 + serial}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${24_000_000_000_000_000n + BigInt(serial)}</MsgId></xml>`,
  };
}

/** Dedup keys (Redis) expire a minute after the run instead of the retention's days. */
const RETENTION_MS = 60_000;

function logWriter(store: Store): Writer {
  const log = openEventLog(store, { retentionMs: RETENTION_MS });
  return {
    append: (event) => log.append(event, partitionOf(event.openid, PARTITIONS)),
    close: async () => {
      await log.close();
      await store.close();
    },
  };
}

const sqlite: Backend = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-bench-event-log-'));
    const path = join(dir, 'bench.db');
    const log = logWriter(new SqliteStore(path));
    // Its own file: a shared one would make whichever connection crosses the WAL's checkpoint
    // threshold pay for the other's pages.
    const db = new Database(join(dir, 'bare.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec('CREATE TABLE bench_plain (id TEXT NOT NULL, event TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO bench_plain (id, event) VALUES (?, ?)');
    const bare: Writer = {
      append: async (event) => insert.run(event.id, JSON.stringify(event)),
      close: async () => {
        db.close();
      },
    };
    return { log, bare, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const redis: Backend = {
  name: 'redis',
  async open() {
    const keyPrefix = `wxhub-bench-${randomBytes(4).toString('hex')}:`;
    const raw = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const log = logWriter(new RedisStore({ url: REDIS_URL, keyPrefix }));
    const bare: Writer = {
      append: (event) => raw.xadd(`${keyPrefix}bare`, '*', 'e', JSON.stringify(event)),
      close: async () => undefined,
    };
    const cleanup = async () => {
      const streams = await raw.smembers(`${keyPrefix}gw:streams`);
      await raw.del(`${keyPrefix}bare`, `${keyPrefix}gw:streams`, ...streams);
      raw.disconnect();
    };
    return { log, bare, cleanup };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async open() {
    const schema = `wxhub_bench_${randomBytes(4).toString('hex')}`;
    const pool = new pg.Pool({ connectionString: PG_URL, max: 10 });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`CREATE TABLE "${schema}".bench_plain (id text NOT NULL, event text NOT NULL)`);
    const log = logWriter(new PostgresStore({ url: PG_URL, schema }));
    const bare: Writer = {
      append: (event) =>
        pool.query(`INSERT INTO "${schema}".bench_plain (id, event) VALUES ($1, $2)`, [
          event.id,
          JSON.stringify(event),
        ]),
      close: async () => undefined,
    };
    const cleanup = async () => {
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    };
    return { log, bare, cleanup };
  },
};

/** Totals of the rounds of one writer. */
class Tally {
  appends = 0;
  ms = 0;
  errors = 0;
  readonly latencies: number[] = [];

  async round(writer: Writer): Promise<void> {
    const events = Array.from({ length: EVENTS }, pushEvent);
    const t0 = performance.now();
    const result = await runClosedLoop((i) => writer.append(events[i]!), {
      concurrency: CONCURRENCY,
      maxRequests: EVENTS,
      durationMs: 60_000,
    });
    this.ms += performance.now() - t0;
    this.appends += result.requests - result.errors;
    this.errors += result.errors;
    if (result.firstError) process.stderr.write(`event-log: ${String(result.firstError)}\n`);
    this.latencies.push(...result.latenciesMs);
  }

  get perSecond(): number {
    return this.ms > 0 ? this.appends / (this.ms / 1000) : 0;
  }

  summary() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      appends: this.appends,
      errors: this.errors,
      appendsPerSecond: round(this.perSecond, 0),
      p50Ms: round(percentile(sorted, 50), 2),
      p99Ms: round(percentile(sorted, 99), 2),
    };
  }
}

async function measure(backend: Backend) {
  const { log, bare, cleanup } = await backend.open();
  try {
    // Warm both (migrations, prepared statements, script loading, pool connections).
    await new Tally().round(log);
    await new Tally().round(bare);
    const [ours, theirs] = [new Tally(), new Tally()];
    const deadline = performance.now() + SECONDS * 1000;
    for (let i = 0; i === 0 || performance.now() < deadline; i++) {
      const order: [Tally, Writer][] = [
        [ours, log],
        [theirs, bare],
      ];
      for (const [tally, writer] of i % 2 === 0 ? order : order.reverse()) await tally.round(writer);
    }
    return { ours: ours.summary(), bare: theirs.summary() };
  } finally {
    await log.close();
    await bare.close();
    await cleanup();
  }
}

async function main(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const backend of [sqlite, redis, postgres]) {
    let measured: Awaited<ReturnType<typeof measure>>;
    try {
      measured = await measure(backend);
    } catch (err) {
      notes.push(`${backend.name} skipped: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const ratio = round(measured.ours.appendsPerSecond / measured.bare.appendsPerSecond, 2);
    results[backend.name] = { ...measured, ratio };
    rows.push({ backend: backend.name, writer: 'event log', ...measured.ours, ratio });
    rows.push({ backend: backend.name, writer: 'bare write', ...measured.bare });
  }
  printTable(rows, ['backend', 'writer', 'appendsPerSecond', 'p50Ms', 'p99Ms', 'appends', 'errors', 'ratio']);
  for (const note of notes) process.stdout.write(`${note.replace(/:[^:@/]*@/, ':***@')}\n`);
  const file = await writeResults('event-log', {
    config: {
      seconds: SECONDS,
      events: EVENTS,
      concurrency: CONCURRENCY,
      eventBytes: 1000,
      partitions: PARTITIONS,
    },
    loadavg: loadavg().map((l) => round(l, 2)),
    results,
    notes,
  });
  process.stdout.write(`wrote ${file}\n`);
}

runMain('event-log', main);
