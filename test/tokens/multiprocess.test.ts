import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceUrl } from '../support/services.js';
import { startTestSim, type TestSim } from '../support/sim.js';

const WORKER = join(import.meta.dirname, 'fixtures', 'token-worker.ts');
const PROCESSES = 4;
const CALLERS = 50;
const ROTATIONS = 3;

let sim: TestSim;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(() => sim.close());

interface Worker {
  child: ChildProcessWithoutNullStreams;
  lines: Interface;
  next(): Promise<string>;
}

function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { env: { ...process.env, ...env } });
  const lines = createInterface({ input: child.stdout });
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else queue.push(line);
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return {
    child,
    lines,
    next: () =>
      new Promise((resolve, reject) => {
        const queued = queue.shift();
        if (queued !== undefined) return resolve(queued);
        child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${stderr}`)));
        waiting.push(resolve);
      }),
  };
}

/** 4 processes × 50 callers × 3 rotations on one store: exactly one WeChat fetch per rotation. */
async function herd(storeUrl: string, mode: 'stable' | 'classic') {
  const account = await sim.account();
  const env = {
    STORE_URL: storeUrl,
    SIM_URL: sim.url,
    APPID: account.appid,
    SECRET: account.secret,
    MODE: mode,
  };
  const workers = Array.from({ length: PROCESSES }, () => startWorker(env));
  try {
    await Promise.all(workers.map((w) => w.next()));
    const perRotation: string[] = [];
    for (let r = 0; r < ROTATIONS; r++) {
      const offset = sim.clock.now() - Date.now();
      for (const w of workers) w.child.stdin.write(`get ${offset} ${CALLERS}\n`);
      const answers = (await Promise.all(workers.map((w) => w.next()))).map(
        (line) => JSON.parse(line) as { tokens: string[]; failures: string[] },
      );
      expect(answers.flatMap((a) => a.failures)).toEqual([]);
      const tokens = new Set(answers.flatMap((a) => a.tokens));
      expect(tokens.size).toBe(1);
      perRotation.push(...tokens);
      await sim.advance(7200); // past expiry: the next round needs a new token
    }
    expect(new Set(perRotation).size).toBe(ROTATIONS);
    const path = mode === 'stable' ? '/cgi-bin/stable_token' : '/cgi-bin/token';
    expect(await sim.calls(account.appid, path)).toBe(ROTATIONS);
  } finally {
    for (const w of workers) w.child.stdin.end('exit\n');
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.once('exit', r)))),
    );
  }
}

describe('several OS processes on one store', () => {
  it('SqliteStore: one fetch per rotation', { timeout: 60_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wxhub-herd-')), 'store.db');
    await herd(`sqlite:${file}`, 'classic');
  });

  const redis = serviceUrl('redis');
  it.skipIf(!redis)('RedisStore: one fetch per rotation', { timeout: 60_000 }, async () => {
    await herd(redis as string, 'stable');
  });
});
