import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MemoryStore,
  openStore,
  PostgresStore,
  RedisStore,
  SqliteStore,
  type Store,
} from '../../src/store/index.js';
import { closedPort } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'wxhub-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function opened(store: Store, type: abstract new (...args: never[]) => Store): Promise<Store> {
  expect(store).toBeInstanceOf(type);
  await store.close();
  return store;
}

describe('openStore', () => {
  it('opens memory:', async () => {
    expect((await opened(openStore('memory:'), MemoryStore)).kind).toBe('memory');
  });

  it('opens sqlite:PATH, resolving relative paths against the cwd', async () => {
    const store = openStore('sqlite:rel/dir/wxhub.db', { cwd: dir }) as SqliteStore;
    expect(store.path).toBe(join(dir, 'rel', 'dir', 'wxhub.db'));
    expect(existsSync(store.path)).toBe(true);
    await opened(store, SqliteStore);
    const absolute = openStore(`sqlite://${join(dir, 'abs.db')}`) as SqliteStore;
    expect(absolute.path).toBe(join(dir, 'abs.db'));
    await opened(absolute, SqliteStore);
    const plain = openStore(`sqlite:${join(dir, 'plain.db')}`) as SqliteStore;
    expect(plain.path).toBe(join(dir, 'plain.db'));
    await opened(plain, SqliteStore);
    await opened(openStore('sqlite::memory:'), SqliteStore);
  });

  it('opens redis:// and rediss:// as RedisStore, postgres:// and postgresql:// as PostgresStore', async () => {
    const port = await closedPort();
    await opened(openStore(`redis://127.0.0.1:${port}/3`), RedisStore);
    await opened(openStore(`rediss://127.0.0.1:${port}`, { redis: { keyPrefix: 'x:' } }), RedisStore);
    const pg = openStore(`postgres://u@127.0.0.1:${port}/db`, { postgres: { schema: 'custom' } });
    expect((pg as PostgresStore).schema).toBe('custom');
    await opened(pg, PostgresStore);
    await opened(openStore(`postgresql://u@127.0.0.1:${port}/db`), PostgresStore);
  });

  it('rejects other schemes with WXHUB_ERR_INVALID_ARGUMENT naming the scheme, never the URL', () => {
    const attempt = (url: string) => {
      try {
        openStore(url);
      } catch (err) {
        return err as { code: string; message: string };
      }
      return expect.fail(`${url} should have been rejected`);
    };
    const mysql = attempt('mysql://root:hunter2@db/wx');
    expect(mysql.code).toBe('WXHUB_ERR_INVALID_ARGUMENT');
    expect(mysql.message).toContain('"mysql:"');
    expect(mysql.message).not.toContain('hunter2');
    expect(attempt('wxhub.db').code).toBe('WXHUB_ERR_INVALID_ARGUMENT');
    expect(attempt('').code).toBe('WXHUB_ERR_INVALID_ARGUMENT');
    expect(attempt('sqlite:').code).toBe('WXHUB_ERR_INVALID_ARGUMENT');
  });
});
