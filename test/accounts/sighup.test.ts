import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../hub/support/run-cli.js';

const X = 'wx00000000000000a1';
const Y = 'wx00000000000000b2';

/** Polls `check` every 50 ms for up to `ms`. */
async function eventually(ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('wxhub serve reloads its configuration on SIGHUP', () => {
  let dir: string;
  let file: string;
  let key: string;
  let child: ReturnType<typeof spawnCli>;
  let stdout = '';
  let stderr = '';
  let url = '';

  const write = (accounts: object[]) =>
    writeFileSync(
      file,
      JSON.stringify({
        store: 'memory:',
        database: `sqlite:${join(dir, 'hub.db')}`,
        // Nothing answers here: accounts are served (and listed) without a token fetched.
        wechat: { apiBase: 'http://127.0.0.1:9', openBase: 'http://127.0.0.1:9' },
        accounts,
      }),
    );
  const listed = async (): Promise<string[]> => {
    const res = await fetch(`${url}/v1/admin/accounts`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { accounts: { appid: string; return_to: string[] }[] };
    return body.accounts.map((a) => `${a.appid} ${a.return_to.join(',')}`.trim());
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wxhub-sighup-'));
    file = join(dir, 'hub.json');
    write([{ appid: X, secret: 'env:SECRET_X' }]);
    const created = await runCli(
      ['keys', 'create', '--name', 'ops', '--scope', 'admin', '--config', file],
      dir,
      {
        SECRET_X: 'x',
      },
    );
    expect(created.code, created.stderr).toBe(0);
    key = created.stdout.trim().split('\n').at(-1)!;
    child = spawnCli(['serve', '--config', file, '--port', '0'], dir, { SECRET_X: 'sx', SECRET_Y: 'sy' });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    await eventually(20_000, () => /listening on (\S+)/.test(stdout));
    url = /listening on (\S+)/.exec(stdout)![1]!;
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
  });

  it('applies accounts added, removed and changed in the file, without a restart', async () => {
    expect(await listed()).toEqual([X]);
    write([{ appid: Y, secret: 'env:SECRET_Y', oauth: { returnTo: ['https://shop.example.com'] } }]);
    child.kill('SIGHUP');
    await eventually(5000, async () => (await listed()).join() === `${Y} https://shop.example.com`);
    // The log line crosses a pipe: it may arrive after the reloaded accounts are served.
    await eventually(5000, () => /configuration reloaded/.test(stderr));
    write([
      { appid: Y, secret: 'env:SECRET_Y', oauth: { returnTo: ['https://other.example.com'] } },
      { appid: X, secret: 'env:SECRET_X' },
    ]);
    child.kill('SIGHUP');
    await eventually(5000, async () => (await listed()).join() === `${Y} https://other.example.com,${X}`);
    expect(child.exitCode).toBeNull();
  });

  it('a bad file keeps the running configuration and logs one clear error', async () => {
    const before = await listed();
    const errorsBefore = stderr.split('\n').filter((l) => l.includes('not reloaded')).length;
    writeFileSync(file, '{"accounts": [ {"appid": "wx1"');
    child.kill('SIGHUP');
    await eventually(
      5000,
      () => stderr.split('\n').filter((l) => l.includes('not reloaded')).length > errorsBefore,
    );
    const line = stderr
      .split('\n')
      .filter((l) => l.includes('not reloaded'))
      .at(-1)!;
    expect(line).toContain('not valid JSON');
    expect(JSON.parse(line).level).toBe(50);
    write([{ appid: 'wx123', secret: 'env:SECRET_X' }]);
    child.kill('SIGHUP');
    await eventually(
      5000,
      () => stderr.split('\n').filter((l) => l.includes('not reloaded')).length > errorsBefore + 1,
    );
    expect(
      stderr
        .split('\n')
        .filter((l) => l.includes('not reloaded'))
        .at(-1),
    ).toContain('appid');
    expect(await listed()).toEqual(before);
    expect(child.exitCode).toBeNull();
  });
});
