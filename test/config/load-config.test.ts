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
      wechat: { apiBase: 'https://api.weixin.qq.com', openBase: 'https://open.weixin.qq.com' },
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
