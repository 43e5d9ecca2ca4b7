import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteDatabase } from '../../src/db/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { startWorker } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'wxhub-lock-wait-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** How long the other process holds the write lock, ms. */
const HOLD_MS = 2000;
/**
 * The longest event-loop stall allowed meanwhile, ms. Waiting inside SQLite stalled it for the
 * whole hold (2,000 ms measured). An idle loop on this busy 2-core machine already stalls up to
 * ~250 ms now and then, so the bound sits above that noise and far below the hold.
 */
const MAX_STALL_MS = 500;
/**
 * The share of the hold the loop may spend running rather than waiting for events. Scheduling
 * noise hardly counts here (a descheduled idle loop is still idle), a busy wait inside SQLite
 * does: 5 ms of it per attempt measured 0.40, none at all 0.02.
 */
const MAX_UTILIZATION = 0.2;

/** Watches the event loop: gaps between ticks of a 10 ms interval, and its utilization. */
function loopProbe() {
  const gaps: number[] = [];
  const start = performance.eventLoopUtilization();
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      const sorted = [...gaps].sort((a, b) => a - b);
      return {
        ticks: gaps.length,
        maxStallMs: Math.round(sorted.at(-1) ?? 0),
        p90Ms: Math.round(sorted[Math.floor(sorted.length * 0.9)] ?? 0),
        utilization: Math.round(performance.eventLoopUtilization(start).utilization * 100) / 100,
      };
    },
  };
}

describe('a SQLite write lock held by another process', () => {
  it(`delays only the writes that need it, never the event loop (held ${HOLD_MS} ms)`, async () => {
    const path = join(dir, 'shared.db');
    const store = new SqliteStore(path);
    const db = new SqliteDatabase({ path });
    const holder = startWorker('lock-holder', [path]);
    try {
      await store.compareAndSetCredential('cached', 0, { value: 'v', expiresAt: 2, fetchedAt: 1 });
      await holder.next(); // ready
      holder.send(JSON.stringify({ op: 'hold', ms: HOLD_MS }));
      const { locked } = (await holder.next()) as { locked: number };
      const probe = loopProbe();
      const done = (p: Promise<unknown>) => p.then((value) => ({ value, at: Date.now() }));
      const lease = done(store.acquireLease('needs-the-lock', 'me', 15_000));
      const setting = done(db.settings.putIfAbsent('needs-the-lock', 'v'));
      // A read needs no lock in WAL mode: it answers at once while the writes wait.
      const read = await done(store.getCredential('cached'));
      const { released } = (await holder.next()) as { released: number };
      const writes = await Promise.all([lease, setting]);
      const lag = probe.stop();
      console.info(
        `[sqlite lock wait] another process held the write lock ${released - locked} ms; event loop: ` +
          `max stall ${lag.maxStallMs} ms, p90 gap ${lag.p90Ms} ms over ${lag.ticks} ticks of 10 ms, ` +
          `utilization ${lag.utilization}; writes done ${Math.max(...writes.map((w) => w.at)) - released} ms after the release`,
      );
      expect(read.value).toMatchObject({ value: 'v' });
      expect(read.at).toBeLessThan(released);
      expect(writes.map((w) => w.value)).toEqual([true, 'v']);
      for (const w of writes)
        expect(w.at, 'a write finished while the lock was held').toBeGreaterThanOrEqual(released);
      expect(lag.maxStallMs).toBeLessThan(MAX_STALL_MS);
      expect(lag.utilization).toBeLessThan(MAX_UTILIZATION);
    } finally {
      holder.kill();
      await Promise.all([store.close(), db.close()]);
    }
  });
});
