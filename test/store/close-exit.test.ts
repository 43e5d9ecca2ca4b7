import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceUrl } from '../support/services.js';
import { deleteRedisPrefix, dropPostgresSchema, randomId, startWorker } from './helpers.js';

/**
 * A process that opened a store, watched, wrote and closed it must exit by itself: no socket,
 * timer or LISTEN connection may be left holding the event loop.
 */
const dir = mkdtempSync(join(tmpdir(), 'wxhub-exit-'));
const redis = serviceUrl('redis');
const postgres = serviceUrl('postgres');
const keyPrefix = `wxhub-test-exit-${randomId()}:`;
const schema = `wxhub_test_exit_${randomId()}`;

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (redis) await deleteRedisPrefix(redis, keyPrefix);
  if (postgres) await dropPostgresSchema(postgres, schema);
});

async function exitsByItself(url: string, options: object): Promise<void> {
  const worker = startWorker('open-close', [url, JSON.stringify(options)]);
  // Counted from close(), not from the spawn: a busy machine takes seconds to start a worker.
  expect(await worker.next()).toEqual({ closed: true });
  const closedAt = Date.now();
  const timer = setTimeout(() => worker.kill(), 8000);
  const { code, stderr } = await worker.exit;
  clearTimeout(timer);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(Date.now() - closedAt, 'ms from close() to exit').toBeLessThan(1000);
}

describe('close() lets the process exit', () => {
  it('sqlite', () => exitsByItself(`sqlite:${join(dir, 'exit.db')}`, {}));
  it.runIf(redis)('redis', () => exitsByItself(redis!, { redis: { keyPrefix } }));
  it.runIf(postgres)('postgres', () => exitsByItself(postgres!, { postgres: { schema } }));
});
