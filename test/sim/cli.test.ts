import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DEMO_ACCOUNTS } from '../../src/sim/demo-fixture.js';
import { stopOnBanner } from '../hub/support/stop-on-banner.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('./support/run-cli.ts', import.meta.url));

/** Children a test started; any still running after it (a failed assertion) are killed. */
const children = new Set<ChildProcess>();

function spawnCli(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

/** Resolves once the child's output contains `text` (or rejects when it exits or 15 s pass). */
function untilOutput(child: ChildProcess, output: () => string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no "${text}" within 15 s; got: ${output()}`)), 15_000);
    const check = () => {
      if (output().includes(text)) finish();
    };
    const exited = () => finish(new Error(`exited before printing "${text}": ${output()}`));
    function finish(err?: Error) {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.off('exit', exited);
      if (err) reject(err);
      else resolve();
    }
    child.stdout!.on('data', check);
    child.once('exit', exited);
    check();
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wxhub-sim-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wxhub sim', () => {
  it('--help explains the command', async () => {
    const { code, stdout } = await runCli(['sim', '--help']);
    expect(code).toBe(0);
    for (const text of [
      '--port',
      '--host',
      '--fixture',
      'X-Sim-User',
      '/__sim',
      'demo fixture',
      'docs/simulator.md',
    ]) {
      expect(stdout).toContain(text);
    }
  });

  it('a bad fixture file: one clear line naming the field, exit code 2', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ accounts: [{ appid: 'wx1', users: [{ sex: 5 }] }] }));
    const { code, stdout, stderr } = await runCli(['sim', '--port', '0', '--fixture', bad]);
    expect(code, stderr).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^wxhub: Invalid configuration: fixture /);
    expect(stderr).toContain(bad);
    expect(stderr).toContain('accounts[0].secret');
    expect(stderr).toContain('accounts[0].users[0].sex');
  });

  it('starts with a fixture, prints its URLs, serves, and stops cleanly on SIGTERM', async () => {
    const fixture = join(dir, 'ok.json');
    await writeFile(
      fixture,
      JSON.stringify({ accounts: [{ appid: 'wxcli', secret: 'clisecret', users: [{ nickname: 'CLI' }] }] }),
    );
    const child = spawnCli(['sim', '--port', '0', '--fixture', fixture]);
    let stdout = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await untilOutput(child, () => stdout, 'Ctrl+C');
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    expect(url, stdout).toBeDefined();
    expect(stdout).toContain(`${url}/connect/oauth2/authorize?appid=wxcli`);
    expect(stdout).toContain(`${url}/__sim`);
    const res = await fetch(`${url}/cgi-bin/token?grant_type=client_credential&appid=wxcli&secret=clisecret`);
    expect(((await res.json()) as { expires_in: number }).expires_in).toBe(7200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('simulator stopped');
  });

  it('loads the demo fixture by default and stops on SIGINT', async () => {
    const child = spawnCli(['sim', '--port', '0']);
    let stdout = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await untilOutput(child, () => stdout, 'Ctrl+C');
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    expect(stdout).toContain('fixture: demo');
    const [shop] = DEMO_ACCOUNTS;
    expect(stdout).toContain(`account ${shop!.appid}  secret ${shop!.secret}`);
    const res = await fetch(
      `${url}/cgi-bin/token?grant_type=client_credential&appid=${shop!.appid}&secret=${shop!.secret}`,
    );
    expect(((await res.json()) as { expires_in: number }).expires_in).toBe(7200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('wxhub sim errors (in process)', () => {
  /** Runs main() here, capturing what it writes to stderr. */
  async function runMain(args: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      const code = await main(['node', 'wxhub', ...args]);
      return { code, stderr };
    } finally {
      spy.mockRestore();
    }
  }

  it('a missing fixture, bad JSON or a bad port: one line, exit code 2', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"accounts": [');
    const missing = await runMain(['sim', '--port', '0', '--fixture', join(dir, 'missing.json')]);
    const json = await runMain(['sim', '--port', '0', '--fixture', broken]);
    const port = await runMain(['sim', '--port', 'abc']);
    const flag = await runMain(['sim', '--nope']);
    for (const result of [missing, json, port, flag]) expect(result.code, result.stderr).toBe(2);
    for (const result of [missing, json, port]) expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('ENOENT');
    expect(json.stderr).toContain('not valid JSON');
    expect(port.stderr).toContain('--port must be an integer');
  });

  it('stops cleanly on a signal sent as soon as it prints that it listens', async () => {
    const { code, handlers, stdout } = await stopOnBanner(['sim', '--port', '0'], 'Press Ctrl+C to stop.');
    expect(handlers).toBe(1);
    expect(code).toBe(0);
    expect(stdout).toContain('simulator stopped (SIGTERM)');
  });

  it('a port in use is one line and exit code 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { code, stderr } = await runMain(['sim', '--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr).toBe(`wxhub: port ${port} on 127.0.0.1 is already in use; pick another with --port\n`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
