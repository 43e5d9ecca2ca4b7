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
      expect(ids).toEqual(['gateway_0001_event_log', 'store_0001_core']);
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
});
