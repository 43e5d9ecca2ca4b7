import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProxyPath } from '../../src/hub/drop-in/proxy-path.js';
import { APP_A, type TestHub, testHub } from './support/hub-fixture.js';
import { rawRequest } from './support/raw-http.js';

describe('checkProxyPath', () => {
  it.each([
    '/cgi-bin/user/info',
    '/cgi-bin/media/get',
    '/sns/userinfo',
    '/cgi-bin/user/info/batchget',
    '/cgi-bin/a.b',
  ])('accepts %s', (path) => {
    expect(checkProxyPath(path)).toEqual({ ok: true, path });
  });

  it.each([
    ['/cgi-bin/../admin', 'dot segment'],
    ['/cgi-bin/./user/info', 'dot segment'],
    ['/cgi-bin/user/..', 'dot segment'],
    ['/cgi-bin/%2e%2e/admin', 'encoded'],
    ['/cgi-bin/%2E%2e/admin', 'encoded'],
    ['/cgi-bin/.%2e/admin', 'encoded'],
    ['/cgi-bin/..%2fadmin', 'encoded'],
    ['/cgi-bin/%5c..%5cadmin', 'encoded'],
    ['/cgi-bin//user/info', 'double slash'],
    ['/sns//evil.example/x', 'double slash'],
    ['/cgi-bin/a\\..\\b', 'backslash'],
    ['/admin', 'only /cgi-bin/'],
    ['/cgi-binx/token', 'only /cgi-bin/'],
    ['/snsx', 'only /cgi-bin/'],
    ['//cgi-bin/user/info', 'only /cgi-bin/'],
  ])('refuses %s (%s)', (path, reason) => {
    const result = checkProxyPath(path);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe('the drop-in proxy over a real socket refuses traversal before any upstream call', () => {
  let t: TestHub;
  let base: string;
  let key: string;

  beforeAll(async () => {
    t = await testHub();
    key = await t.key(['proxy'], [APP_A]);
    base = await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it.each([
    '/cgi-bin/../cgi-bin/user/info',
    '/cgi-bin/%2e%2e/cgi-bin/user/info',
    '/cgi-bin/%2E%2E/%2e%2e/etc/passwd',
    '/cgi-bin/user%2finfo',
    '/cgi-bin//user/info',
    '/sns/../cgi-bin/user/info',
  ])('%s → 400 WeChat-shaped 40066', async (path) => {
    const before = t.fake.calls.length;
    const res = await rawRequest(base, 'GET', `${path}?access_token=${key}&openid=o1`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ errcode: 40066 });
    expect(res.body).not.toContain(key);
    expect(t.fake.calls.length).toBe(before);
  });

  it('paths outside /cgi-bin/ and /sns/ are 404 JSON, never proxied', async () => {
    const before = t.fake.calls.length;
    for (const path of ['/wp-admin', '//cgi-bin/user/info', '/cgi-bin', '/api/cgi-bin/user/info']) {
      const res = await rawRequest(base, 'GET', `${path}?access_token=${key}`);
      expect(res.status, path).toBe(404);
      expect(() => JSON.parse(res.body)).not.toThrow();
    }
    expect(t.fake.calls.length).toBe(before);
  });

  it('a well-formed path goes through', async () => {
    const res = await rawRequest(base, 'GET', `/cgi-bin/user/info?access_token=${key}&openid=o1`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ openid: 'o1', subscribe: 1 });
  });
});
