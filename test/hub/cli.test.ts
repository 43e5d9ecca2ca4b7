import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { type StartedHub, startHub } from '../../src/hub/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { FakeWeChat } from './support/fake-wechat.js';
import { APP_A, APP_B, LogCapture, SECRET_A, SECRET_B } from './support/hub-fixture.js';
import { runCli, spawnCli } from './support/run-cli.js';
import { stopOnBanner } from './support/stop-on-banner.js';

describe('wxhub keys', () => {
  let dir: string;
  let configPath: string;
  let fake: FakeWeChat;
  let hub: StartedHub;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wxhub-cli-'));
    fake = await FakeWeChat.start({ [APP_A]: SECRET_A, [APP_B]: SECRET_B });
    configPath = join(dir, 'hub.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        store: `sqlite:${join(dir, 'hub.db')}`,
        database: `sqlite:${join(dir, 'hub.db')}`,
        wechat: { apiBase: fake.url, openBase: fake.url },
        accounts: [
          { appid: APP_A, secret: 'env:TEST_SECRET_A', tokenMode: 'classic' },
          { appid: APP_B, secret: SECRET_B, tokenMode: 'classic' },
        ],
      }),
    );
    hub = await startHub({
      config: loadConfig(configPath, { TEST_SECRET_A: SECRET_A }),
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
    });
  });
  afterAll(async () => {
    await hub?.close();
    await fake?.close();
  });

  const accessToken = async (key: string, appid = APP_A) => {
    const res = await request(`${hub.url}/v1/accounts/${appid}/access-token`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  it('create prints the key alone on the last line, once, and that key works against a hub on the same config', async () => {
    // The accounts' env: secrets are not needed to manage keys.
    const res = await runCli(
      [
        'keys',
        'create',
        '--name',
        'shop backend',
        '--appid',
        APP_A,
        '--scope',
        'token,refresh',
        '--config',
        configPath,
      ],
      dir,
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    const key = lines.at(-1)!;
    expect(key).toMatch(/^wxk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(res.stdout.split(key).length - 1).toBe(1);
    expect(res.stdout).toContain('shop backend');
    expect(res.stdout).toContain('token, refresh');
    const got = await accessToken(key);
    expect(got.status).toBe(200);
    expect(got.body.access_token).toBe(fake.current(APP_A));
    expect((await accessToken(key, APP_B)).status).toBe(403);
  });

  it('create takes several --appid and repeated --scope, with a per-key rate limit', async () => {
    const res = await runCli(
      [
        'keys',
        'create',
        '--name',
        'multi',
        '--appid',
        APP_A,
        '--appid',
        APP_B,
        '--scope',
        'token',
        '--scope',
        'proxy',
        '--rate-limit',
        '5',
        '--config',
        configPath,
      ],
      dir,
    );
    expect(res.code).toBe(0);
    const key = res.stdout.trimEnd().split('\n').at(-1)!;
    expect((await accessToken(key, APP_B)).status).toBe(200);
    expect(res.stdout).toContain('5/s, burst 10');
  });

  it('list shows keys without their secrets; revoke stops a key', async () => {
    const created = await runCli(
      ['keys', 'create', '--name', 'doomed', '--appid', APP_A, '--scope', 'token', '--config', configPath],
      dir,
    );
    const key = created.stdout.trimEnd().split('\n').at(-1)!;
    const id = key.split('_')[1]!;
    const list = await runCli(['keys', 'list', '--config', configPath], dir);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain('doomed');
    expect(list.stdout).not.toContain(key.slice(-43));
    const json = await runCli(['keys', 'list', '--json', '--config', configPath], dir);
    const parsed = JSON.parse(json.stdout) as { id: string; secretHash?: string }[];
    expect(parsed.find((k) => k.id === id)).toBeDefined();
    expect(json.stdout).not.toContain('secretHash');

    const revoked = await runCli(['keys', 'revoke', id, '--config', configPath], dir);
    expect(revoked.code).toBe(0);
    expect((await accessToken(key)).status).toBe(401);
    const again = await runCli(['keys', 'revoke', id, '--config', configPath], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no active client key ${id}`);
  });

  it('bad flags and bad config: one clear line on stderr, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['keys', 'create', '--appid', APP_A, '--scope', 'token', '--config', configPath], /--name/],
      [
        ['keys', 'create', '--name', 'x', '--appid', APP_A, '--scope', 'token,root', '--config', configPath],
        /"root" is not one of/,
      ],
      [['keys', 'create', '--name', 'x', '--scope', 'token', '--config', configPath], /appid/],
      [
        [
          'keys',
          'create',
          '--name',
          'x',
          '--appid',
          APP_A,
          '--scope',
          'token',
          '--rate-limit',
          'fast',
          '--config',
          configPath,
        ],
        /--rate-limit/,
      ],
      [
        [
          'keys',
          'create',
          '--name',
          'x',
          '--appid',
          APP_A,
          '--scope',
          'token',
          '--config',
          join(dir, 'missing.json'),
        ],
        /missing\.json: no such file/,
      ],
      [['keys', 'list', '--bogus'], /unknown option/],
      [
        ['keys', 'create', '--name', 'x', '--appid', 'wx1', '--scope', 'token', '--config', configPath],
        /--appid "wx1" must be wx followed by 16 hex digits/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, dir)));
    for (const [i, [args, message]] of cases.entries()) {
      const res = results[i]!;
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr, args.join(' ')).toMatch(message);
      expect(
        res.stderr.split('\n').filter((l) => l.startsWith('wxhub:') || l.startsWith('error:')).length,
      ).toBe(1);
    }
  });
});

describe('wxhub serve', () => {
  it('a bad config lists its problems and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-serve-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ listen: { port: 'eighty' }, accounts: [{ appid: 'wx1' }], surprise: 1 }),
    );
    const res = await runCli(['serve', '--config', bad], dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('listen.port');
    expect(res.stderr).toContain('accounts[0].secret');
    expect(res.stderr).toContain('surprise');
    const port = await runCli(['serve', '--port', 'abc'], dir);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port');
    const viaEnv = await runCli(['serve'], dir, { WXHUB_CONFIG: bad });
    expect(viaEnv.code).toBe(2);
  });

  it('with no config: embedded SQLite under ./.wxhub/, no accounts, prints the URL, stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-serve-'));
    const child = spawnCli(['serve', '--port', '0'], dir);
    let stdout = '';
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      child.on('exit', () => reject(new Error(`exited early: ${stdout} ${stderr}`)));
    });
    expect(stdout).toContain('no configuration file');
    expect(stdout).toContain('no accounts configured');
    const health = await request(`${url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const ready = await request(`${url}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toMatchObject({ checks: { store: 'ok', database: 'ok', accounts: 0 } });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stdout).toContain('stopping');
    expect(existsSync(join(dir, '.wxhub', 'wxhub.db'))).toBe(true);
  });
});

/** Resolves with the child's stdout once it contains `text`; rejects if the child exits first. */
function untilStdout(child: ReturnType<typeof spawnCli>, text: string | RegExp): Promise<string> {
  let stdout = '';
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      if (typeof text === 'string' ? stdout.includes(text) : text.test(stdout)) resolve(stdout);
    });
    child.on('exit', () => reject(new Error(`exited before printing ${text}: ${stdout}`)));
  });
}

/** Runs `wxhub serve --config FILE` until it listens, then stops it; resolves with its stderr. */
async function serveOnce(dir: string, config: object): Promise<{ stderr: string; code: number | null }> {
  const file = join(dir, 'wxhub.config.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawnCli(['serve', '--port', '0'], dir);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await untilStdout(child, /listening on http:\/\/127\.0\.0\.1:\d+/);
  child.kill('SIGTERM');
  const code = await exited;
  return { stderr, code };
}

describe('wxhub serve, as a newcomer meets it', () => {
  const PACKAGE_VERSION = (
    JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

  it("--version prints wxhub's own version from any directory, whatever npm says the current package is", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-version-'));
    const res = await runCli(['--version'], dir, { npm_package_version: '9.9.9' });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`${PACKAGE_VERSION}\n`);
  });

  it('stops cleanly on a signal sent as soon as it prints where it listens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-serve-signal-'));
    const file = join(dir, 'hub.json');
    writeFileSync(
      file,
      JSON.stringify({ store: 'memory:', database: 'memory:', logging: { level: 'silent' } }),
    );
    const { code, handlers, stdout } = await stopOnBanner(
      ['serve', '--config', file, '--port', '0'],
      'listening on',
    );
    expect(handlers).toBe(1);
    expect(code).toBe(0);
    expect(stdout).toContain('wxhub: stopping (SIGTERM)');
  });

  it('a port in use is one line, before the hub opens anything, exit 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'wxhub-serve-port-'));
      const bare = await runCli(['serve', '--port', String(port)], dir);
      expect(bare.code).toBe(1);
      expect(bare.stdout).toBe('');
      expect(bare.stderr).toBe(
        `wxhub: port ${port} on 127.0.0.1 is already in use; pick another with --port or listen.port in the configuration\n`,
      );
      expect(existsSync(join(dir, '.wxhub'))).toBe(false);
      writeFileSync(join(dir, 'hub.json'), JSON.stringify({ listen: { port } }));
      const configured = await runCli(['serve', '--config', 'hub.json'], dir);
      expect(configured.code).toBe(1);
      expect(configured.stderr).toBe(
        `wxhub: port ${port} on 127.0.0.1 is already in use; pick another with --port or listen.port in hub.json\n`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('an appid not of WeChat form and a misspelled field are refused at start, each named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-serve-typo-'));
    writeFileSync(
      join(dir, 'wxhub.config.json'),
      JSON.stringify({ acounts: [{ appid: 'wx1234567890abcdef', secret: 'env:WX_SECRET' }] }),
    );
    const typo = await runCli(['serve'], dir);
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toContain('(root): unknown field acounts (did you mean accounts?)');
    expect(typo.stderr).not.toContain('environment variable');
    writeFileSync(
      join(dir, 'wxhub.config.json'),
      JSON.stringify({ accounts: [{ appid: 'wx12345', secret: 's' }] }),
    );
    const appid = await runCli(['serve'], dir);
    expect(appid.code).toBe(2);
    expect(appid.stderr).toContain('accounts[0].appid: must be wx followed by 16 hex digits');
  });

  describe('with a running WeChat', () => {
    let fake: FakeWeChat;
    beforeAll(async () => {
      fake = await FakeWeChat.start({ [APP_A]: SECRET_A });
    });
    afterAll(async () => {
      await fake?.close();
    });
    const config = (extra: object) => ({
      wechat: { apiBase: fake.url, openBase: fake.url },
      accounts: [{ appid: APP_A, secret: SECRET_A, tokenMode: 'classic' as const }],
      ...extra,
    });

    it('JSON log lines by default, and a warning naming the secret written in the file, never its value', async () => {
      const { stderr, code } = await serveOnce(mkdtempSync(join(tmpdir(), 'wxhub-serve-json-')), config({}));
      expect(code).toBe(0);
      const lines = stderr.trimEnd().split('\n');
      const entries = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
      const warning = entries.find((e) => e.msg.includes('accounts[0].secret'));
      expect(warning?.level).toBe(40);
      expect(warning?.msg).toContain(
        'the secret is written in the configuration file; write "env:NAME" there instead',
      );
      expect(stderr).not.toContain(SECRET_A);
    });

    it('logging.format "pretty": readable lines, redacted the same way', async () => {
      const { stderr, code } = await serveOnce(
        mkdtempSync(join(tmpdir(), 'wxhub-serve-pretty-')),
        config({ logging: { format: 'pretty' } }),
      );
      expect(code).toBe(0);
      expect(stderr).toMatch(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: wxhub\.config\.json: accounts\[0\]\.secret: the secret is written/m,
      );
      expect(stderr).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at/m);
      for (const line of stderr.trimEnd().split('\n')) expect(line.startsWith('{'), line).toBe(false);
      expect(stderr).not.toContain(SECRET_A);
    });

    it('a clean shutdown while a token fetch is under way: the fetch is stored, no "store is closed" warning', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wxhub-shutdown-'));
      const token = `shutdown${'T'.repeat(120)}`;
      let received!: () => void;
      const fetching = new Promise<void>((resolve) => {
        received = resolve;
      });
      let release!: () => void;
      const answered = new Promise<void>((resolve) => {
        release = resolve;
      });
      fake.override('/cgi-bin/token', async (_request, reply) => {
        received();
        await answered;
        return reply
          .header('content-type', 'application/json; encoding=utf-8')
          .send(JSON.stringify({ access_token: token, expires_in: 7200 }));
      });
      const logs = new LogCapture();
      const hub = await startHub({
        config: {
          ...config({}),
          store: `sqlite:${join(dir, 'hub.db')}`,
          database: `sqlite:${join(dir, 'hub.db')}`,
        },
        port: 0,
        host: '127.0.0.1',
        logger: logs.logger,
      });
      try {
        await fetching;
        // WeChat answers once the hub has begun to stop: closing the store must wait for it.
        const stop = hub.manager.close.bind(hub.manager);
        hub.manager.close = () => {
          const stopped = stop();
          release();
          return stopped;
        };
        await hub.close();
      } finally {
        fake.override('/cgi-bin/token', undefined);
      }
      expect(logs.text()).not.toContain('store is closed');
      expect(logs.text()).not.toContain('could not obtain a token');
      const store = new SqliteStore(join(dir, 'hub.db'));
      try {
        expect((await store.getCredential(`token:${APP_A}`))?.value).toBe(token);
      } finally {
        await store.close();
      }
    });
  });
});
