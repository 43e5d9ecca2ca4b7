import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe } from 'vitest';
import { itTakesOverFromAKilledHolder } from './crash-takeover.js';

const dir = mkdtempSync(join(tmpdir(), 'wxhub-sqlite-takeover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'takeover.db');

describe('SqliteStore: a lease holder killed mid-refresh', () => {
  itTakesOverFromAKilledHolder(`sqlite:${path}`, {}, async () => {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT name, expires_at FROM leases WHERE expires_at > ?').all(Date.now()) as {
        name: string;
        expires_at: number;
      }[];
      return rows.map((r) => ({ name: r.name, leftMs: r.expires_at - Date.now() }));
    } catch {
      return []; // not created yet
    } finally {
      db.close();
    }
  });
});
