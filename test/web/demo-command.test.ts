import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS } from '../../src/sim/index.js';
import { startDemo } from '../../src/web/index.js';
import { runCli, spawnCli } from '../hub/support/run-cli.js';

const SHOP = DEMO_ACCOUNTS[0]!.appid;
const silent = pino({ level: 'silent' });

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('wxhub demo', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'wxhub-demo-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('is restart-safe: the SQLite file keeps users and keys, and the old tokens are replaced for the new simulator', async () => {
    const first = await startDemo({ port: 0, cwd, logger: silent });
    await first.warmedUp;
    const { adminKey, oauthKey } = first;
    const before = await first.hub.manager.getAccessToken(SHOP);
    await first.close();

    const second = await startDemo({ port: 0, cwd, logger: silent });
    try {
      await second.warmedUp;
      expect(second.adminKey).toBe(adminKey);
      expect(second.oauthKey).toBe(oauthKey);
      const res = await request(`${second.url}/v1/accounts/${SHOP}/access-token`, {
        headers: { authorization: `Bearer ${second.adminKey}` },
      });
      const token = ((await res.body.json()) as { access_token: string }).access_token;
      expect(token).not.toBe(before.value);
      // The new simulator accepts the token the hub hands out.
      const check = await request(`${second.simulatorUrl}/cgi-bin/user/get?access_token=${token}`);
      expect(((await check.body.json()) as { errcode?: number }).errcode ?? 0).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('prints where to click, serves the pages and the hub on one port, and stops on SIGTERM', async () => {
    const child = spawnCli(['demo', '--port', '0'], cwd);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 45_000);
      child.stdout!.on('data', () => {
        if (out.includes('Press Ctrl+C')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const url = /Demo site {3}(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)![1]!;
    expect(out).toMatch(/Dashboard {3}http:\/\/127\.0\.0\.1:\d+\/admin\n {14}admin key: wxk_[\w-]+/);
    expect(out).toMatch(/Simulator {3}http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain(`curl -H 'Authorization: Bearer wxk_`);
    const home = await request(`${url}/`);
    expect(await home.body.text()).toContain('Log in with WeChat');
    const oidcSite = /OIDC site {3}(http:\/\/127\.0\.0\.1:\d+\/oidc-demo) /.exec(out)![1]!;
    const site = await request(oidcSite);
    expect(site.statusCode).toBe(200);
    expect(await site.body.text()).toContain('/oidc-demo/login');
    const health = await request(`${url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
    expect(out).toContain('wxhub demo: stopping (SIGTERM)');
  });

  it('a port in use: one clear line, exit 1', async () => {
    const { server, port } = await occupy();
    try {
      const result = await runCli(['demo', '--port', String(port)], cwd);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `wxhub: port ${port} on 127.0.0.1 is already in use (the demo site and hub); pick another with --port`,
      ]);
    } finally {
      server.close();
    }
  });

  it('a bad --port is a usage error (exit 2)', async () => {
    const result = await runCli(['demo', '--port', 'x'], cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--port must be an integer');
  });
});
