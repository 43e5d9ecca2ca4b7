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
    '/cgi-bin/a-b',
    '/cgi-bin/clear_quota/v2',
    '/cgi-bin/Upper/CASE09',
    '/cgi-bin/...', // three dots is a name, not a dot segment
    '/cgi-bin/user/', // a trailing slash is WeChat's to judge
    `/cgi-bin/${'a'.repeat(512 - '/cgi-bin/'.length)}`, // 512 characters exactly
  ])('accepts %s', (path) => {
    expect(checkProxyPath(path)).toEqual({ ok: true, path });
  });

  it.each([
    ['/cgi-bin/../admin', 'dot segment'],
    ['/cgi-bin/./user/info', 'dot segment'],
    ['/cgi-bin/user/..', 'dot segment'],
    ['/cgi-bin/user/.', 'dot segment'],
    ['/cgi-bin/%2e%2e/admin', 'U+0025'],
    ['/cgi-bin/%2E%2e/admin', 'U+0025'],
    ['/cgi-bin/.%2e/admin', 'U+0025'],
    ['/cgi-bin/..%2fadmin', 'U+0025'],
    ['/cgi-bin/%5c..%5cadmin', 'U+0025'],
    ['/cgi-bin/%252e%252e/admin', 'U+0025'],
    ['/cgi-bin/user/%69nfo', 'U+0025'],
    // Path parameters: `..;` is `..` to Tomcat-style servers, `.;` is `.`.
    ['/cgi-bin/..;/__sim/reset', 'U+003B'],
    ['/cgi-bin/..%3b/__sim/reset', 'U+0025'],
    ['/cgi-bin/.;/user/info', 'U+003B'],
    ['/cgi-bin/user/info;jsessionid=x', 'U+003B'],
    ['/cgi-bin/a\\..\\b', 'U+005C'],
    ['/cgi-bin/a b', 'U+0020'],
    ['/cgi-bin/a\tb', 'U+0009'],
    ['/cgi-bin/a\u0000', 'U+0000'],
    ['/cgi-bin/a:b', 'U+003A'],
    ['/cgi-bin/a@evil.example', 'U+0040'],
    ['/cgi-bin/a~b', 'U+007E'],
    ['/cgi-bin/你好', 'U+4F60'],
    ['/cgi-bin//user/info', 'double slash'],
    ['/sns//evil.example/x', 'double slash'],
    ['/admin', 'only /cgi-bin/'],
    ['/cgi-binx/token', 'only /cgi-bin/'],
    ['/cgi-bin', 'only /cgi-bin/'],
    ['/snsx', 'only /cgi-bin/'],
    ['//cgi-bin/user/info', 'only /cgi-bin/'],
    ['/x/cgi-bin/user/info', 'only /cgi-bin/'],
    [`/cgi-bin/${'a'.repeat(513 - '/cgi-bin/'.length)}`, 'longer than 512'],
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
    // Warm: the key is cached and the token fetched, so the fast lane could take these calls.
    expect((await rawRequest(base, 'GET', `/cgi-bin/user/info?access_token=${key}&openid=o1`)).status).toBe(
      200,
    );
  });
  afterAll(() => t.close());

  it.each([
    '/cgi-bin/../cgi-bin/user/info',
    '/cgi-bin/%2e%2e/cgi-bin/user/info',
    '/cgi-bin/%2E%2E/%2e%2e/etc/passwd',
    '/cgi-bin/user%2finfo',
    '/cgi-bin//user/info',
    '/sns/../cgi-bin/user/info',
    '/cgi-bin/..;/cgi-bin/user/info',
    '/cgi-bin/..%3b/cgi-bin/user/info',
    '/cgi-bin/..%3B/cgi-bin/user/info',
    '/cgi-bin/.;/user/info',
    '/cgi-bin/user/info;.css',
  ])('%s → 40066 (HTTP 200, WXHUB_ERR_PROXY_PATH), no upstream call', async (path) => {
    const before = t.fake.calls.length;
    for (const method of ['GET', 'POST']) {
      const res = await rawRequest(
        base,
        method,
        `${path}?access_token=${key}&openid=o1`,
        method === 'POST' ? '{}' : undefined,
      );
      expect(res.status).toBe(200);
      expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_PROXY_PATH');
      expect(JSON.parse(res.body)).toMatchObject({ errcode: 40066 });
      expect(res.body).not.toContain(key);
    }
    expect(t.fake.calls.length).toBe(before);
  });

  it('paths outside /cgi-bin/ and /sns/ are never proxied', async () => {
    const before = t.fake.calls.length;
    for (const path of ['/wp-admin', '//cgi-bin/user/info', '/api/cgi-bin/user/info']) {
      const res = await rawRequest(base, 'GET', `${path}?access_token=${key}`);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body).error.code).toBe('WXHUB_ERR_NOT_FOUND');
    }
    // `/cgi-bin` itself is a drop-in path: WeChat-shaped, with WeChat's status.
    const bare = await rawRequest(base, 'GET', `/cgi-bin?access_token=${key}`);
    expect(bare.status).toBe(200);
    expect(JSON.parse(bare.body)).toMatchObject({ errcode: 40066 });
    expect(bare.headers['x-wxhub-error']).toBe('WXHUB_ERR_NOT_FOUND');
    expect(t.fake.calls.length).toBe(before);
  });

  it('a well-formed path goes through', async () => {
    const res = await rawRequest(base, 'GET', `/cgi-bin/user/info?access_token=${key}&openid=o1`);
    expect(res.status).toBe(200);
    expect(res.headers['x-wxhub-error']).toBeUndefined();
    expect(JSON.parse(res.body)).toMatchObject({ openid: 'o1', subscribe: 1 });
  });
});
