import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/index.js';
import { isWxhubError } from '../../src/errors/index.js';

describe('parseConfig', () => {
  it('fills every default from an empty object', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      listen: { host: '127.0.0.1', port: 8080 },
      store: 'sqlite:.wxhub/wxhub.db',
      database: 'sqlite:.wxhub/wxhub.db',
      wechat: {
        apiBase: 'https://api.weixin.qq.com',
        openBase: 'https://open.weixin.qq.com',
        mpBase: 'https://mp.weixin.qq.com',
      },
      accounts: [],
    });
    expect(Object.isFrozen(config.listen)).toBe(true);
  });

  it('accepts the documented example, reading secrets from env:NAME', () => {
    const config = parseConfig(
      {
        listen: { host: '127.0.0.1', port: 8080 },
        store: 'sqlite:.wxhub/wxhub.db',
        database: 'sqlite:.wxhub/wxhub.db',
        wechat: { apiBase: 'https://api.weixin.qq.com/', openBase: 'https://open.weixin.qq.com' },
        accounts: [
          {
            appid: 'wx1234567890abcdef',
            secret: 'env:WX_SECRET',
            tokenMode: 'stable',
            oauth: { returnTo: ['https://shop.example.com'] },
          },
        ],
      },
      { WX_SECRET: 's3cr3t' },
    );
    expect(config.accounts[0]).toMatchObject({
      appid: 'wx1234567890abcdef',
      secret: 's3cr3t',
      dailyBudget: 2000,
    });
    expect(config.wechat.apiBase).toBe('https://api.weixin.qq.com');
    expect(config.wechat.mpBase).toBe('https://mp.weixin.qq.com');
  });

  it('reports every problem at once, each with its path, and never the secret', () => {
    const err = (() => {
      try {
        parseConfig(
          {
            listen: { port: 99999 },
            accounts: [
              { appid: 'wx1', secret: 'env:MISSING' },
              {
                appid: 'wx1',
                secret: 'plain-secret-value',
                tokenMode: 'weird',
                oauth: { returnTo: ['javascript:x'] },
              },
            ],
            surprise: true,
          },
          {},
        );
      } catch (e) {
        return e;
      }
    })();
    expect(isWxhubError(err, 'WXHUB_ERR_INVALID_CONFIG')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain('listen.port');
    expect(message).toContain('accounts[0].secret: environment variable MISSING is not set');
    expect(message).toContain('accounts[1].tokenMode');
    expect(message).toContain('accounts[1].oauth.returnTo[0]');
    expect(message).toContain('accounts[1].appid: duplicate appid wx1');
    expect(message).toMatch(/surprise/);
    expect(message).not.toContain('plain-secret-value');
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-config-'));

  it('reads a file given by path', () => {
    const file = join(dir, 'a.json');
    writeFileSync(file, JSON.stringify({ listen: { port: 9999 } }));
    expect(loadConfig(file, {}).listen.port).toBe(9999);
  });

  it('falls back to WXHUB_CONFIG', () => {
    const file = join(dir, 'b.json');
    writeFileSync(file, JSON.stringify({ store: 'memory:' }));
    expect(loadConfig(undefined, { WXHUB_CONFIG: file }).store).toBe('memory:');
  });

  it('names the file for a missing file or bad JSON', () => {
    expect(() => loadConfig(join(dir, 'nope.json'), {})).toThrow(/nope\.json: no such file/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ listen: ');
    expect(() => loadConfig(bad, {})).toThrow(/bad\.json: not valid JSON/);
  });
});

/** The message parseConfig throws for `input` (with `env`), or fails the test if it accepts it. */
function problemsOf(input: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(input, env);
  } catch (err) {
    expect(isWxhubError(err, 'WXHUB_ERR_INVALID_CONFIG')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('parseConfig accepted it');
}

describe('what a newcomer gets wrong', () => {
  const account = (appid: string) => ({ accounts: [{ appid, secret: 's' }] });

  it('an appid not of WeChat form (wx and 16 lowercase hex digits) is refused, with where to find the real one', () => {
    expect(parseConfig(account('wx1234567890abcdef')).accounts[0]!.appid).toBe('wx1234567890abcdef');
    for (const appid of [
      'wx1',
      'wx1234567890abcde',
      'wx1234567890abcdef0',
      'wx1234567890abcdeg',
      'WX1234567890ABCDEF',
      'gh_1234567890ab',
      '1234567890abcdef12',
    ]) {
      const message = problemsOf(account(appid));
      expect(message, appid).toContain('accounts[0].appid: must be wx followed by 16 hex digits');
      expect(message, appid).toContain('基本配置');
    }
  });

  it('a misspelled field is an unknown field with the one meant, and its env: values are not reported', () => {
    const root = problemsOf({ acounts: [{ appid: 'wx1234567890abcdef', secret: 'env:WX_SECRET' }] });
    expect(root).toContain('unknown field acounts (did you mean accounts?)');
    expect(root).not.toContain('environment variable');

    const nested = problemsOf({ accounts: [{ appid: 'wx1234567890abcdef', secert: 'env:WX_SECRET' }] });
    expect(nested).toContain('accounts[0]: unknown field secert (did you mean secret?)');
    expect(nested).toContain('accounts[0].secret: required');
    expect(nested).not.toContain('environment variable');

    const cased = problemsOf({ listen: { Port: 80 }, logging: { levle: 'info' } });
    expect(cased).toContain('listen: unknown field Port (did you mean port?)');
    expect(cased).toContain('logging: unknown field levle (did you mean level?)');

    expect(problemsOf({ zebra: 1 })).toMatch(/unknown field zebra$/);
    // A known field's env: variable is still reported, next to the unknown field.
    const both = problemsOf({
      lisen: {},
      accounts: [{ appid: 'wx1234567890abcdef', secret: 'env:WX_SECRET' }],
    });
    expect(both).toContain('unknown field lisen (did you mean listen?)');
    expect(both).toContain('accounts[0].secret: environment variable WX_SECRET is not set');
  });

  it('a store or database of the wrong kind is a problem of that field, naming the scheme but never the URL', () => {
    const store = problemsOf({ store: 'mysql://root:hunter2@db/wx' });
    expect(store).toMatch(/store: unsupported scheme "mysql:"; the store takes sqlite:PATH, redis:\/\//);
    expect(store).not.toContain('hunter2');
    const database = problemsOf({ database: 'redis://:hunter2@127.0.0.1:6379/0' });
    expect(database).toContain('database: unsupported scheme "redis:"; the database takes sqlite:PATH');
    expect(database).toContain('Redis can hold the store, not the database');
    expect(database).not.toContain('hunter2');
    expect(problemsOf({ store: 'sqlite:' })).toContain('store: sqlite: needs a path');
    expect(problemsOf({ database: 'wxhub.db' })).toContain('database: no scheme; the database takes');
    for (const store of ['memory:', 'sqlite:x.db', 'redis://h:1/0', 'rediss://h', 'postgres://h/d']) {
      expect(parseConfig({ store }).store).toBe(store);
    }
    expect(parseConfig({ database: 'postgresql://h/d' }).database).toBe('postgresql://h/d');
  });

  it('logging.format is json unless pretty is asked for', () => {
    expect(parseConfig({}).logging.format).toBe('json');
    expect(parseConfig({ logging: { format: 'pretty' } }).logging.format).toBe('pretty');
    expect(problemsOf({ logging: { format: 'colour' } })).toContain('logging.format');
  });
});

describe('loadConfig warnings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-config-warn-'));
  const load = (name: string, config: unknown, env: NodeJS.ProcessEnv = {}) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(config));
    const warnings: string[] = [];
    loadConfig(file, env, (w) => warnings.push(w));
    return warnings;
  };
  const SECRET = 'inline-appsecret-0123456789abcdef';

  it('a secret written in the file is named (never shown) with the env: form to use instead', () => {
    const warnings = load(
      'plain.json',
      {
        store: 'redis://:redis-password@127.0.0.1:6379/0',
        accounts: [
          { appid: 'wx1234567890abcdef', secret: 'env:WX_SECRET' },
          { appid: 'wxfedcba0987654321', secret: SECRET },
        ],
        oauth: { encryptionKey: 'a'.repeat(64) },
        dropIn: { signingKey: 'k'.repeat(32), previousSigningKeys: ['env:OLD_KEY', 'p'.repeat(32)] },
      },
      { WX_SECRET: 'from-env', OLD_KEY: 'o'.repeat(32) },
    );
    const text = warnings.join('\n');
    for (const field of [
      'accounts[1].secret',
      'oauth.encryptionKey',
      'dropIn.signingKey',
      'dropIn.previousSigningKeys[1]',
      'store: a password',
    ]) {
      expect(text, field).toContain(field);
    }
    expect(warnings).toHaveLength(5);
    expect(text).not.toContain('accounts[0]');
    expect(text).not.toContain('previousSigningKeys[0]');
    for (const secret of [SECRET, 'redis-password', 'a'.repeat(64), 'k'.repeat(32)])
      expect(text).not.toContain(secret);
    expect(warnings[0]).toMatch(
      /^.*plain\.json: .*write "env:NAME" there instead and set NAME in the environment$/,
    );
  });

  it('a file whose secrets all come from env: gets no warning', () => {
    expect(
      load(
        'env.json',
        {
          store: 'redis://127.0.0.1:6379/0',
          accounts: [{ appid: 'wx1234567890abcdef', secret: 'env:WX_SECRET' }],
        },
        { WX_SECRET: 'x' },
      ),
    ).toEqual([]);
  });
});
