import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
const CONFIG = fileURLToPath(new URL('./fixtures/quiet-run/vitest.config.ts', import.meta.url));

interface JsonReport {
  testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
}

it('the print guard (quiet-run.ts) fails the test behind an unexpected print, and only that one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-quiet-run-'));
  try {
    const report = join(dir, 'report.json');
    const run = await promisify(execFile)(
      process.execPath,
      [VITEST, 'run', '--config', CONFIG, '--reporter=json', `--outputFile=${report}`],
      { env: { ...process.env, CI: 'true' } },
    ).then(
      (out) => ({ code: 0, stderr: out.stderr }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(run.code, run.stderr).toBe(1);
    const results = (JSON.parse(readFileSync(report, 'utf8')) as JsonReport).testResults[0]!.assertionResults;
    const outcome = Object.fromEntries(results.map((r) => [r.title, r.status]));
    expect(outcome).toEqual({
      'a warning the test listens for': 'passed',
      'a warning nobody listens for': 'failed',
      'an ioredis client without an error listener': 'failed',
      'other output': 'passed',
    });
    const failures = results.flatMap((r) => r.failureMessages).join('\n');
    expect(failures).toContain('a process warning nobody listened for: Warning: stray warning');
    expect(failures).toContain("an ioredis client without an 'error' listener: Error: connect ECONNREFUSED");
    expect(run.stderr).not.toContain('listened-for warning');
    expect(run.stderr).toContain('stray warning');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
