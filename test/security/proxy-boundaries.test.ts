import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { HttpClient } from '../../src/http/index.js';
import { createHub } from '../../src/hub/index.js';
import { rawExchange } from './support/raw-socket.js';
import { bearer, type SecurityWorld, securityWorld } from './support/security-world.js';

/**
 * The hub is not an open proxy: whatever the request target, Host header or encoding, the only
 * upstream it contacts is `wechat.apiBase`, only under `/cgi-bin/` and `/sns/`, and never the
 * simulator's control plane. `wechat.apiBase` points at a recording spy in front of the
 * simulator, so every byte sent "to WeChat" is seen. Bodies are capped (413, no crash), and the
 * outbound HTTP client verifies TLS certificates.
 */
describe('proxy boundaries', () => {
  let w: SecurityWorld;
  let key: string;

  beforeAll(async () => {
    w = await securityWorld({ level: 'warn' });
    key = await w.key(['token', 'refresh', 'proxy', 'oauth'], [w.shop.appid]);
    // A working call first, so the hub holds a token and the spy has a baseline.
    const ok = await w.inject({ url: `/cgi-bin/user/get?access_token=${key}` });
    expect(ok.statusCode, ok.body).toBe(200);
  });
  afterAll(async () => {
    await w?.close();
  });

  function assertOnlyWeChatPaths(): void {
    const spyHost = new URL(w.spy.url).host;
    for (const r of w.spy.seen) {
      // The path only: the query is an encoded value WeChat reads as data.
      const path = r.url.split('?', 1)[0]!;
      expect(path, r.url).toMatch(/^\/(cgi-bin|sns)\/[A-Za-z0-9_/.-]*[A-Za-z0-9_]$/);
      expect(path).not.toMatch(/__sim|\.\.|%|\/\//i);
      expect(r.host, r.url).toBe(spyHost);
    }
  }

  const targets = [
    `http://evil.com/cgi-bin/user/get?access_token=KEY`,
    `http://evil.com/__sim/reset`,
    `https://evil.com:443/cgi-bin/user/get?access_token=KEY`,
    `/cgi-bin/../__sim/reset`,
    `/cgi-bin/%2e%2e/__sim/reset`,
    `/cgi-bin/%2E%2E/%2e%2e/__sim/stats?access_token=KEY`,
    `/sns/..%2f__sim/faults?access_token=KEY`,
    `/cgi-bin/..%5c__sim/reset?access_token=KEY`,
    `/cgi-bin/user/get/../../__sim/reset?access_token=KEY`,
    `/cgi-bin/.%2e/__sim/reset?access_token=KEY`,
    `/cgi-bin//__sim/reset?access_token=KEY`,
    `/cgi-bin\\..\\__sim\\reset?access_token=KEY`,
    `/cgi-bin/%00/../__sim/reset?access_token=KEY`,
    `/cgi-bin/%252e%252e/__sim/reset?access_token=KEY`,
    `//evil.com/cgi-bin/user/get?access_token=KEY`,
    `/__sim/reset`,
    `/__sim/faults`,
    `/__sim/clock`,
    `/connect/oauth2/authorize?appid=x`,
    `/mmopen/abc/132`,
    `/cgi-binx/token?access_token=KEY`,
    `/snsx/userinfo?access_token=KEY`,
    `/cgi-bin/user/get;/../../__sim/reset?access_token=KEY`,
    `/cgi-bin/..;/__sim/reset?access_token=KEY`,
    `/cgi-bin/..%3b/__sim/reset?access_token=KEY`,
    `/cgi-bin/..%3B/..%3B/__sim/stats?access_token=KEY`,
    `/cgi-bin/.;/user/get?access_token=KEY`,
    `/cgi-bin/user/get;.css?access_token=KEY`,
    `/cgi-bin/user/get?access_token=KEY&x=/../__sim/reset`,
    `*`,
  ];

  it.each(targets)('request target %s never leaves WeChat paths on apiBase', async (target) => {
    const stats = await w.sim.stats();
    const path = target.replaceAll('KEY', key);
    for (const method of ['GET', 'POST']) {
      const res = await rawExchange(
        w.url,
        `${method} ${path} HTTP/1.1\r\nHost: evil.com\r\nX-Forwarded-Host: evil.com\r\nContent-Length: 2\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{}`,
      );
      expect(res.status, res.text.slice(0, 200)).toBeGreaterThanOrEqual(200);
      expect(res.status, res.text.slice(0, 200)).toBeLessThan(500);
      expect(res.text).not.toContain(key);
    }
    assertOnlyWeChatPaths();
    // The control plane was never reached: stats were not reset (the counters only grow).
    const after = await w.sim.stats();
    for (const [p, n] of Object.entries(stats.calls)) expect(after.calls[p] ?? 0).toBeGreaterThanOrEqual(n);
  });

  it('Host and X-Forwarded-* games do not move the upstream, on the fast lane too', async () => {
    const before = w.spy.seen.length;
    const lane = w.laneAnswers();
    for (const host of [
      'evil.com',
      '127.0.0.1:1',
      `${new URL(w.sim.url).host}`,
      'api.weixin.qq.com@evil.com',
    ]) {
      const res = await rawExchange(
        w.url,
        `GET /cgi-bin/user/get?access_token=${key} HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-Host: evil.com\r\nX-Forwarded-Proto: https\r\nForwarded: host=evil.com\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status, host).toBe(200);
    }
    expect(w.spy.seen.length).toBe(before + 4);
    expect(w.laneAnswers()).toBe(lane + 4);
    assertOnlyWeChatPaths();
  });

  it('request bodies are capped: 413 on /v1, 45002 on the proxy, 4xx on the OAuth routes and the pages, never a crash', async () => {
    const before = w.spy.seen.length;
    const big = JSON.stringify({ stale_token: 'x'.repeat(1024 * 1024 + 10) });
    const v1 = await w.inject({
      method: 'POST',
      url: `/v1/accounts/${w.shop.appid}/access-token/refresh`,
      headers: { ...bearer(key), 'content-type': 'application/json' },
      payload: big,
    });
    expect(v1.statusCode).toBe(413);
    expect(v1.json().error.code).toBe('WXHUB_ERR_PAYLOAD_TOO_LARGE');
    const redeem = await w.inject({
      method: 'POST',
      url: '/v1/oauth/tickets/redeem',
      headers: { ...bearer(w.oauthKey), 'content-type': 'application/json' },
      payload: JSON.stringify({ ticket: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(redeem.statusCode).toBe(413);
    const proxy = await w.inject({
      method: 'POST',
      url: `/cgi-bin/message/custom/send?access_token=${key}`,
      headers: { 'content-type': 'application/json' },
      payload: Buffer.alloc(1024 * 1024 + 1, 0x20),
    });
    // WeChat's way: HTTP 200 and the errcode, the hub's reason in X-Wxhub-Error.
    expect(proxy.statusCode).toBe(200);
    expect(proxy.json()).toMatchObject({ errcode: 45002 });
    expect(proxy.headers['x-wxhub-error']).toBe('WXHUB_ERR_PAYLOAD_TOO_LARGE');
    const media = await w.inject({
      method: 'POST',
      url: `/cgi-bin/media/upload?type=image&access_token=${key}`,
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      payload: Buffer.alloc(3 * 1024 * 1024, 0x41),
    });
    expect(media.statusCode).toBe(200);
    expect(media.json()).toMatchObject({ errcode: 45002 });
    for (const url of [`/oauth/${w.shop.appid}/login`, `/oauth/${w.shop.appid}/callback`]) {
      const res = await w.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: Buffer.alloc(2 * 1024 * 1024, 0x20),
      });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
    }
    const adminForm = await w.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `key=${'a'.repeat(64 * 1024)}`,
    });
    expect(adminForm.statusCode).toBe(413);
    expect(w.spy.seen.length).toBe(before);
    // Over a real socket: a 1 MiB + 1 declared body is refused without reading it, and the hub lives.
    const raw = await rawExchange(
      w.url,
      `POST /v1/accounts/${w.shop.appid}/access-token/refresh HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024 + 1}\r\n\r\n{`,
    );
    expect(raw.status).toBe(413);
    expect((await fetch(`${w.url}/healthz`)).status).toBe(200);
  });
});

describe('TLS verification stays on', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let cert: string;
  let requests = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wxhub-tls-'));
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(certFile, 'utf8');
    server = createServer({ key: readFileSync(keyFile), cert }, (_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        '{"access_token":"SELF_SIGNED_TOKEN_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","expires_in":7200}',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the HTTP client refuses a self-signed certificate (and accepts it only when told to trust it)', async () => {
    const client = new HttpClient({ timeoutMs: 2000 });
    try {
      const err = await client.json('GET', `${base}/cgi-bin/token`).catch((e: unknown) => e);
      expect(isWxhubError(err, 'WXHUB_ERR_TRANSPORT'), String(err)).toBe(true);
      expect(requests).toBe(0);
    } finally {
      await client.close();
    }
    // Control: the same server with its certificate trusted answers, so the refusal above was
    // certificate verification and nothing else.
    const trusting = new HttpClient({ dispatcher: new Agent({ connect: { ca: cert } }) });
    const ok = await trusting.json('GET', `${base}/cgi-bin/token`);
    expect(ok.status).toBe(200);
    expect(requests).toBe(1);
    await trusting.close();
  });

  it('a hub whose apiBase presents a self-signed certificate never sends it a request', async () => {
    const hub = await createHub({
      config: {
        store: 'memory:',
        database: 'memory:',
        wechat: { apiBase: base, openBase: base, timeoutMs: 2000 },
        accounts: [{ appid: 'wx7150000000000001', secret: 's'.repeat(32), tokenMode: 'classic' }],
      },
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
      tokens: { retryStrategy: () => null },
    });
    try {
      const key = (
        await hub.services.keys.create({
          name: 't',
          appids: ['wx7150000000000001'],
          scopes: ['token', 'proxy'],
        })
      ).key;
      const before = requests;
      const v1 = await hub.app.inject({
        url: '/v1/accounts/wx7150000000000001/access-token',
        headers: bearer(key),
      });
      expect(v1.statusCode).toBe(503);
      expect(v1.body).not.toContain('SELF_SIGNED_TOKEN');
      const proxied = await hub.app.inject({ url: `/cgi-bin/user/get?access_token=${key}` });
      expect(proxied.statusCode).toBe(200);
      expect(proxied.json().errcode).toBe(-1);
      expect(proxied.headers['x-wxhub-error']).toMatch(/^WXHUB_ERR_/);
      expect(proxied.body).not.toContain('SELF_SIGNED_TOKEN');
      expect(requests).toBe(before);
    } finally {
      await hub.close();
    }
  });

  it('no source file switches certificate verification off', () => {
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|js|mjs|cjs)$/.test(name)) {
          const text = readFileSync(p, 'utf8');
          if (
            /rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED|checkServerIdentity|secureOptions|insecureHTTPParser|allowH2|setGlobalDispatcher/.test(
              text,
            )
          ) {
            offenders.push(p);
          }
        }
      }
    };
    walk(join(import.meta.dirname, '../../src'));
    walk(join(import.meta.dirname, '../../bin'));
    expect(offenders).toEqual([]);
    // The one Agent in src is made with pool options only (no `connect` TLS overrides).
    const client = readFileSync(join(import.meta.dirname, '../../src/http/http-client.ts'), 'utf8');
    const agents = client.match(/new Agent\(([^)]*)\)/g) ?? [];
    expect(agents).toHaveLength(1);
    expect(agents[0]).not.toMatch(/connect\s*:|tls|\bca\s*:|cert|reject/i);
  });
});
