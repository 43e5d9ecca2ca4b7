import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { findBinary } from '../../support/binaries.js';
import { missing } from '../../support/ci.js';

const SCRIPT = join(import.meta.dirname, 'authlib_rp.py');

/**
 * A Python 3 that imports Authlib and requests: `python3` on PATH, else Debian's own
 * `/usr/bin/python3` (where `apt-get install python3-authlib` puts them, even when a pyenv or
 * virtualenv python3 comes first on PATH). Missing: {@link missing} (fails under CI, else skips).
 */
export function authlibPython(): string | undefined {
  for (const name of ['python3', '/usr/bin/python3']) {
    const python = findBinary(name);
    if (!python) continue;
    try {
      execFileSync(python, ['-c', 'import authlib, requests'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return missing('Python 3 with Authlib and requests', 'apt-get install python3-authlib python3-requests');
}

/**
 * Runs one scenario of authlib_rp.py with `input` as JSON on stdin and resolves its JSON report.
 * Asynchronous on purpose: the hub it talks to runs in this process. A non-zero exit rejects
 * with the script's stderr (an Authlib validation error names the claim it refused).
 */
export function runAuthlib<T = Record<string, unknown>>(
  python: string,
  scenario: 'discovery' | 'login',
  input: Record<string, unknown>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [SCRIPT, scenario], {
      // Plain HTTP is the loopback test issuer's only; Authlib's discovery checks insist on https.
      env: { ...process.env, AUTHLIB_INSECURE_TRANSPORT: '1', PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString().trim();
      if (code !== 0) return reject(new Error(`authlib_rp.py ${scenario} exited ${code}:\n${stderr}`));
      try {
        resolve(JSON.parse(Buffer.concat(out).toString()) as T);
      } catch {
        reject(new Error(`authlib_rp.py ${scenario} printed no JSON:\n${stderr}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}
