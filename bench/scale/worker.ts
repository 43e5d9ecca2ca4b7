/**
 * One scale run in its own process (so its heap holds one engine and nothing else): builds the
 * store and the upstream, runs `runScaleDay`, and prints the result as the last stdout line,
 * prefixed `RESULT `. Run with `--expose-gc` for clean heap figures.
 *
 *   node --expose-gc --import tsx bench/scale/worker.ts --accounts 10000 --store sqlite
 *        [--upstream in-process|SIM_URL] [--redis URL] [--duration 86400] [--step 60]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { HttpClient } from '../../src/http/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { ManualClock } from '../../src/util/clock.js';
import { SimControl } from '../lib/sim-control.js';
import { InProcessWeChat } from './in-process-wechat.js';
import { RESULT_PREFIX, runScaleDay, SCALE_START, type ScaleUpstream } from './run-day.js';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string' },
    store: { type: 'string', default: 'memory' },
    upstream: { type: 'string', default: 'in-process' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379/15' },
    duration: { type: 'string', default: '86400' },
    step: { type: 'string', default: '60' },
  },
});
const accounts = Number(values.accounts);
if (!Number.isInteger(accounts) || accounts < 1) throw new Error('--accounts must be a positive integer');

const clock = new ManualClock(SCALE_START);
const cleanup: (() => Promise<unknown>)[] = [];
let store: Store;
if (values.store === 'memory') store = new MemoryStore({ clock });
else if (values.store === 'sqlite') {
  const dir = await mkdtemp(join(tmpdir(), 'wxhub-scale-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  store = new SqliteStore({ path: join(dir, 'store.db'), clock });
} else if (values.store === 'redis') {
  const keyPrefix = `wxhub-scale-${randomBytes(4).toString('hex')}:`;
  store = new RedisStore({ url: values.redis, keyPrefix });
  cleanup.push(() => deletePrefix(values.redis, keyPrefix));
} else throw new Error(`--store must be memory, sqlite or redis; got ${values.store}`);

let upstream: ScaleUpstream;
if (values.upstream === 'in-process') {
  const origin = 'https://api.weixin.qq.com';
  upstream = { http: new InProcessWeChat(), endpoints: { api: origin, open: origin } };
} else {
  const control = new SimControl(values.upstream);
  upstream = {
    http: new HttpClient(),
    endpoints: { api: values.upstream, open: values.upstream },
    advance: async (seconds) => void (await control.advanceClock(seconds)),
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) process.stderr.write('scale worker: run with --expose-gc, heap figures include garbage\n');
const result = await runScaleDay({
  accounts,
  store,
  clock,
  upstream,
  gc,
  durationSeconds: Number(values.duration),
  stepSeconds: Number(values.step),
});
await upstream.http.close();
await store.close();
for (const step of cleanup) await step();
process.stdout.write(
  `${RESULT_PREFIX}${JSON.stringify({ ...result, upstream: values.upstream === 'in-process' ? 'in-process' : 'simulator' })}\n`,
);

async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
  await redis.quit();
}
