import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RESULT_PREFIX, type ScaleDayResult, scaleAppid, scaleSecret } from '../../bench/scale/run-day.js';
import { HttpClient, type JsonRequest, type JsonResponse } from '../../src/http/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { TokenManager } from '../../src/tokens/token-manager.js';
import { ManualClock } from '../../src/util/clock.js';

const WORKER = fileURLToPath(new URL('../../bench/scale/worker.ts', import.meta.url));
const TWO_KB = 2048;

/** The scale bench's worker (bench/scale/worker.ts) in a child of its own, with --expose-gc. */
function runWorker(accounts: number): Promise<ScaleDayResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', WORKER, '--accounts', String(accounts), '--store', 'memory'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) reject(new Error(`worker exited ${code}: ${err}`));
      else resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ScaleDayResult);
    });
  });
}

/** Answers stable_token after `delayMs`, counting the calls in flight at once. */
class SlowWeChat extends HttpClient {
  inFlight = 0;
  maxInFlight = 0;
  calls = 0;
  constructor(private readonly delayMs: number) {
    super();
  }
  override async json(_method: 'GET' | 'POST', _url: string, _req?: JsonRequest): Promise<JsonResponse> {
    this.calls++;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    await new Promise((r) => setTimeout(r, this.delayMs));
    this.inFlight--;
    return { status: 200, body: { access_token: `t${this.calls}`.padEnd(120, 'x'), expires_in: 7200 } };
  }
}

function manager(accounts: number, http: HttpClient, clock: ManualClock, refreshConcurrency?: number) {
  return new TokenManager({
    store: new MemoryStore({ clock }),
    accounts: Array.from({ length: accounts }, (_, i) => ({ appid: scaleAppid(i), secret: scaleSecret(i) })),
    http,
    clock,
    refreshConcurrency,
  });
}

describe('TokenManager at scale', () => {
  it('holds under 2 KB of heap per account and keeps 2500 tokens fresh through a simulated day', async () => {
    // Two sizes, so the slope between them is the cost of one more account, free of fixed costs.
    const [small, large] = await Promise.all([runWorker(500), runWorker(2500)]);
    for (const run of [small, large]) {
      expect(run.warmup.fetched).toBe(run.accounts);
      expect(run.freshness.staleAccounts).toBe(0);
      expect(run.freshness.trackingMismatches).toBe(0);
      expect(run.day.failed).toBe(0);
      // A stable token refreshed 180-240 s before its expiry: 12 or 13 fetches a day each.
      expect(run.day.refreshes).toBeGreaterThanOrEqual(12 * run.accounts);
      expect(run.day.refreshes).toBeLessThanOrEqual(13 * run.accounts);
      // lease, re-check, quota, CAS, release, the first read and the change-feed revalidation
      expect(run.day.storeOpsPerRefresh).toBeLessThanOrEqual(7);
    }
    const slope = (large.memory.afterDay.heapUsed - small.memory.afterDay.heapUsed) / (2500 - 500);
    expect(slope).toBeGreaterThan(0);
    expect(slope).toBeLessThan(TWO_KB);
    expect(large.memory.heapPerAccountDay).toBeLessThan(TWO_KB);
    // 11 s on an idle machine; a simulated day of 3000 accounts is CPU work, which a busy
    // two-core machine shared with other suites stretched past 60 s.
  }, 300_000);

  it('runs at most refreshConcurrency upstream calls at once, in the first pass and at rotation', async () => {
    const clock = new ManualClock();
    const http = new SlowWeChat(2);
    const m = manager(300, http, clock, 16);
    await m.tick();
    expect(http.calls).toBe(300);
    expect(http.maxInFlight).toBe(16);
    for (let i = 0; i < 300; i++) expect(m.status(scaleAppid(i)).token).not.toBeNull();
    http.maxInFlight = 0;
    clock.advance(7200_000 - 170_000); // every token past its refresh point, none past the margin
    await m.tick();
    expect(http.calls).toBe(600);
    expect(http.maxInFlight).toBe(16);
    await m.close();
  });

  it('fetches nothing when nothing is due; a tick() during a pass resolves after what fell due meanwhile', async () => {
    const clock = new ManualClock();
    const http = new SlowWeChat(5);
    const m = manager(25, http, clock, 4);
    await m.tick();
    await m.tick();
    expect(http.calls).toBe(25);
    clock.advance(100_000);
    for (let i = 25; i < 50; i++) m.addAccount({ appid: scaleAppid(i), secret: scaleSecret(i) });
    await m.tick(); // the second cohort, 100 s younger
    expect(http.calls).toBe(50);
    clock.advance(7200_000 - 100_000 - 170_000); // the first cohort is due, the second is not
    let firstDone = false;
    const first = m.tick().then(() => {
      firstDone = true;
    });
    clock.advance(100_000); // now the second cohort is due too
    await m.tick();
    expect(firstDone).toBe(true);
    expect(http.calls).toBe(100);
    for (let i = 0; i < 50; i++) {
      const token = m.status(scaleAppid(i)).token;
      expect(token && token.expiresAt - clock.now()).toBeGreaterThan(7000_000);
    }
    await first;
    await m.close();
  });
});
