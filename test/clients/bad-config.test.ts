import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runCli } from '../hub/support/run-cli.js';

/**
 * `wxhub serve` with broken configuration files, as an operator writes them: every problem is
 * listed at once with its path, on one stderr line, nothing on stdout, exit code 2, and no
 * secret from the file is echoed.
 */
const SECRET = 'TOPSECRET0123456789abcdef';

/** `wxhub ARGS` in this process (what bin/wxhub.js runs), with its stdout and stderr captured. */
async function runInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'wxhub', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('wxhub serve with a bad configuration file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-bad-config-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('wrong types, unknown keys, a missing env: secret and bad values: every one listed, exit 2', async () => {
    const config = file(
      'many.json',
      JSON.stringify({
        listen: { host: '', port: 70000 },
        store: 42,
        wechat: { apiBase: 'ftp://api.example', timeoutMs: '5s', proxy: true },
        accounts: [
          { appid: 'wx has space', secret: 'env:WXHUB_TEST_NEVER_SET_SECRET', tokenMode: 'fast' },
          { appid: 'wxok', secret: SECRET, dailyBudget: -1, oauth: { returnTo: ['not a url'] } },
          { appid: 'wxok', secret: SECRET },
        ],
        rateLimit: { perSecond: 0 },
        dropIn: { signingKey: 'short' },
        logging: { level: 'loud' },
        surprise: 1,
      }),
    );
    const res = await runCli(['serve', '--config', config, '--port', '0'], dir);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    const lines = res.stderr.trimEnd().split('\n');
    expect(lines, res.stderr).toHaveLength(1);
    for (const path of [
      'listen.host',
      'listen.port',
      'store',
      'wechat.apiBase',
      'wechat.timeoutMs',
      'wechat: unknown field proxy',
      'accounts[0].appid',
      'accounts[0].secret: environment variable WXHUB_TEST_NEVER_SET_SECRET is not set',
      'accounts[0].tokenMode',
      'accounts[1].dailyBudget',
      'accounts[1].oauth.returnTo[0]',
      'accounts[2].appid: duplicate appid wxok',
      'rateLimit.perSecond',
      'dropIn.signingKey',
      'logging.level',
      '(root): unknown field surprise',
    ]) {
      expect(res.stderr, path).toContain(path);
    }
    expect(res.stderr).not.toContain(SECRET);
  });

  it('not JSON, empty, YAML, an array, a directory, a missing file, an unknown store scheme: one line, exit 2', async () => {
    const cases: [string, string, RegExp][] = [
      ['trailing comma', file('comma.json', '{"store": "sqlite:x.db",}'), /not valid JSON .*line 1, column/],
      [
        'unquoted secret',
        file('unquoted.json', `{"accounts": [{"appid": "wx1", "secret": ${SECRET}}]}`),
        /not valid JSON/,
      ],
      [
        'YAML',
        file('wxhub.config.yaml', `accounts:\n  - appid: wx1\n    secret: ${SECRET}\n`),
        /not valid JSON/,
      ],
      ['empty', file('empty.json', ''), /not valid JSON \(unexpected end of input\)/],
      ['an array', file('array.json', '[{"store": "memory:"}]'), /\(root\): .*expected object/],
      [
        'a directory',
        (() => {
          mkdirSync(join(dir, 'config.d'), { recursive: true });
          return join(dir, 'config.d');
        })(),
        /config\.d: /,
      ],
      ['missing', join(dir, 'missing.json'), /missing\.json: no such file/],
      [
        'store scheme',
        file('scheme.json', '{"store": "mysql://db/wx"}'),
        /store: unsupported scheme "mysql:"/,
      ],
    ];
    // In this process, one after the other: a process per case is what the first test proves.
    const results = [];
    for (const [, path] of cases)
      results.push(await runInProcess(['serve', '--config', path, '--port', '0']));
    for (const [i, [name, , message]] of cases.entries()) {
      const res = results[i]!;
      expect(res.code, `${name}: ${res.stderr}`).toBe(2);
      expect(res.stdout, name).toBe('');
      expect(res.stderr.trimEnd().split('\n'), name).toHaveLength(1);
      expect(res.stderr, name).toMatch(message);
      expect(res.stderr, `${name} must not echo the secret`).not.toMatch(/TOPSECRET|TOPSEC/);
    }
  });
});
