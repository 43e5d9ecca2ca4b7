import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openEventLog } from '../../src/gateway/log/open-event-log.js';
import { SqliteStore } from '../../src/store/index.js';
import { randomId, startWorker } from '../store/helpers.js';
import { describeDurableEventLog } from './durable-event-log.js';
import { sampleEvent } from './event-log-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'wxhub-event-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = () => join(dir, `${randomId()}.db`);

describeDurableEventLog('sqlite', () => ({ url: `sqlite:${file()}`, options: {} }));

describe('SqliteEventLog', () => {
  it("keeps its tables in the store's file, migrated by the SQL layer's runner", async () => {
    const path = file();
    const store = new SqliteStore(path);
    const log = openEventLog(store);
    try {
      await log.append(sampleEvent(), 1);
    } finally {
      await log.close();
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      const ids = db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all();
      expect(ids).toEqual(['gateway_0001_event_log', 'gateway_0002_trim_by_seq', 'store_0001_core']);
      expect(db.prepare('SELECT count(*) FROM gateway_events').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it("waits for another process's write lock on a timer: the first call migrates, the append lands after the release", async () => {
    const path = file();
    const store = new SqliteStore(path);
    const log = openEventLog(store);
    const holder = startWorker('lock-holder', [path]);
    try {
      await holder.next(); // ready
      holder.send(JSON.stringify({ op: 'hold', ms: 500 }));
      await holder.next(); // locked
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const result = await log.append(sampleEvent(), 1).finally(() => clearInterval(timer));
      const appendedAt = Date.now();
      const { released } = (await holder.next()) as { released: number };
      expect(result).toEqual({ duplicate: false, answer: null });
      expect(appendedAt).toBeGreaterThanOrEqual(released);
      // The loop kept running while the append waited (~50 ticks in 500 ms; SQLite's own wait: 0).
      expect(ticks).toBeGreaterThan(10);
    } finally {
      holder.kill();
      await log.close();
      await store.close();
    }
  });

  it('commits the appends of one turn in one transaction, each resolved after the commit; a duplicate within it gets the first try', async () => {
    const path = file();
    const store = new SqliteStore(path);
    const log = openEventLog(store);
    const reader = new Database(path, { readonly: true });
    try {
      await log.append(sampleEvent(), 0); // migrated
      const changesBefore = Number(reader.prepare('PRAGMA data_version').pluck().get());
      const events = Array.from({ length: 5 }, () => sampleEvent());
      const seen: number[] = [];
      const results = await Promise.all(
        [...events, events[0]!].map((event, i) =>
          log.append(event, i).then((r) => {
            // Resolved only once another connection can read every event of the batch.
            seen.push(Number(reader.prepare('SELECT count(*) FROM gateway_events').pluck().get()));
            return r;
          }),
        ),
      );
      expect(results.map((r) => r.duplicate)).toEqual([false, false, false, false, false, true]);
      expect(seen.every((n) => n === 6)).toBe(true);
      // One commit by another connection bumps data_version once.
      expect(Number(reader.prepare('PRAGMA data_version').pluck().get())).toBe(changesBefore + 1);
    } finally {
      reader.close();
      await log.close();
      await store.close();
    }
  });

  it('fails every append of a batch whose commit fails', async () => {
    const store = new SqliteStore(file());
    const log = openEventLog(store);
    await log.append(sampleEvent(), 0);
    await store.close();
    const results = await Promise.allSettled([log.append(sampleEvent(), 1), log.append(sampleEvent(), 2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await log.close();
  });

  it('trims by age in seq order, across batches of 1000, keeping what is newer', async () => {
    let now = 1_000_000;
    const store = new SqliteStore(file());
    const log = openEventLog(store, { clock: { now: () => now } });
    try {
      for (let i = 0; i < 2100; i++) await log.append(sampleEvent(), i % 4);
      now = 2_000_000;
      const kept = sampleEvent();
      await log.append(kept, 1);
      expect(await log.trim(1_500_000)).toBe(2100);
      expect(await log.trim(1_500_000)).toBe(0);
      expect((await log.readAppid(kept.appid, null, 10)).map((e) => e.event.id)).toEqual([kept.id]);
      expect(await log.trim(2_000_001)).toBe(1);
    } finally {
      await log.close();
      await store.close();
    }
  });
});
