/**
 * What the `/v1` follower list costs the database: a page of 100 read by cursor
 * (`followers.page`, keyset) at the top, the middle and the end of an account of --followers
 * followers, beside the same page read by offset (`followers.list`, what the dashboard pages with)
 * in the same run; and live changes (`followers.apply`, one per pushed follow or unfollow) per
 * second, written one after another.
 *
 *   node --import tsx bench/follower-pages.ts [--followers 100000] [--reads 50]
 *
 * SQLite on a fresh file; PostgreSQL at WXHUB_BENCH_POSTGRES_URL (else WXHUB_TEST_POSTGRES_URL,
 * else postgres://postgres@127.0.0.1:5432/test) in a schema of its own, skipped with a note when
 * unreachable. Prints a table and writes bench/results/follower-pages.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Database, FollowerCursor, FollowerRecord } from '../src/db/index.js';
import { PostgresDatabase, SqliteDatabase } from '../src/db/index.js';
import { percentile, printTable, round, writeResults } from './lib/index.js';
import { runMain } from './lib/run-main.js';

const { values: flags } = parseArgs({
  options: { followers: { type: 'string', default: '100000' }, reads: { type: 'string', default: '50' } },
});
const FOLLOWERS = Number(flags.followers);
const READS = Number(flags.reads);
const PAGE = 100;
const APPS = 'wx00000000000bench';
const PG_URL =
  process.env.WXHUB_BENCH_POSTGRES_URL ??
  process.env.WXHUB_TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const T0 = 1_767_225_600_000;

/** Follower i: three share each follow second, the last 1% have no known follow time. */
function follower(i: number): FollowerRecord {
  return {
    appid: APPS,
    openid: `o${String(i).padStart(27, '0')}`,
    unionid: null,
    subscribeTime: i >= FOLLOWERS * 0.99 ? null : T0 - Math.floor(i / 3) * 1000,
    subscribeScene: 'ADD_SCENE_SEARCH',
    syncedAt: 1,
  };
}

/** `n` runs of `fn` one after another: their durations, ms, ascending. */
async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

async function measure(name: string, db: Database): Promise<Record<string, string | number>[]> {
  for (let i = 0; i < FOLLOWERS; i += 1000) {
    await db.followers.upsert(
      Array.from({ length: Math.min(1000, FOLLOWERS - i) }, (_, j) => follower(i + j)),
    );
  }
  const rows: Record<string, string | number>[] = [];
  for (const [depth, at] of [
    ['top', 0],
    ['middle', Math.floor(FOLLOWERS / 2)],
    ['end', FOLLOWERS - PAGE - 1],
  ] as const) {
    const before = follower(at - 1);
    const after: FollowerCursor | null =
      at === 0 ? null : { subscribeTime: before.subscribeTime, openid: before.openid };
    const cursor = await timed(READS, () => db.followers.page(APPS, { after, limit: PAGE }));
    const offset = await timed(READS, () => db.followers.list(APPS, { limit: PAGE, offset: at }));
    rows.push({
      backend: name,
      depth,
      'cursor p50 ms': round(percentile(cursor, 50), 2),
      'cursor p99 ms': round(percentile(cursor, 99), 2),
      'offset p50 ms': round(percentile(offset, 50), 2),
      'offset p99 ms': round(percentile(offset, 99), 2),
    });
  }
  const applies = 2000;
  const t0 = performance.now();
  for (let i = 0; i < applies; i++) {
    await db.followers.apply({
      appid: APPS,
      openid: follower(i).openid,
      subscribe: i % 2 === 0 ? 0 : 1,
      eventTime: T0 + i,
      at: T0 + i,
    });
  }
  const perSecond = Math.round(applies / ((performance.now() - t0) / 1000));
  for (const row of rows) row['apply /s'] = perSecond;
  return rows;
}

async function main(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-bench-followers-'));
  const sqlite = new SqliteDatabase({ path: join(dir, 'bench.db') });
  try {
    rows.push(...(await measure('sqlite', sqlite)));
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const schema = `wxhub_bench_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
  try {
    await pool.query('SELECT 1');
  } catch {
    process.stderr.write(`follower-pages: PostgreSQL unreachable at ${new URL(PG_URL).host}: skipped\n`);
    await pool.end();
    pool.end = async () => undefined;
  }
  if (pool.totalCount > 0) {
    const postgres = new PostgresDatabase({ url: PG_URL, schema });
    try {
      rows.push(...(await measure('postgres', postgres)));
    } finally {
      await postgres.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  }
  printTable(rows);
  const file = await writeResults('follower-pages', { followers: FOLLOWERS, page: PAGE, reads: READS, rows });
  process.stdout.write(`wrote ${file}\n`);
}

runMain('follower-pages', main);
