import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProxyPath } from '../../src/hub/drop-in/proxy-path.js';
import { rawExchange } from './support/raw-socket.js';
import { bearer, type SecurityWorld, securityWorld } from './support/security-world.js';
import { socketRequest } from './support/socket-request.js';

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed and index. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}

const SEED = Number(process.env.WXHUB_FUZZ_SEED ?? 0x5eed6);
const CASES = Number(process.env.WXHUB_FUZZ_CASES ?? 600);
const LANE_CASES = Math.ceil(CASES / 2);

const PAGE_ROUTES = [
  'GET /',
  'GET /profile',
  'POST /logout',
  'GET /admin',
  'GET /admin/login',
  'POST /admin/login',
  'POST /admin/logout',
  'GET /admin/accounts/:appid',
  'GET /assets/wxhub.css',
  'GET /favicon.ico',
];

const JUNK_SEGMENTS = [
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '%5C',
  '%00',
  '%ff',
  '%',
  '%zz',
  '%E4%BD%A0',
  '你好',
  '\u0000',
  '~',
  '*',
  ';',
  '__sim',
  'a'.repeat(300),
  ':appid',
  '%252e',
  '\\',
  '"\'<script>',
  '{}',
  'null',
];

/** What a malformed request may answer: any 4xx, 2xx/3xx, and 5xx only where documented. */
function allowedStatus(url: string, status: number): boolean {
  if (status < 500) return true;
  // Upstream failures (502/503/504) are documented on routes that reach WeChat or the store.
  const upstream = /^\/(cgi-bin|sns)\/|^\/v1\/accounts\/|^\/readyz|^\/oauth\/[^/]+\/callback/.test(url);
  return upstream && [502, 503, 504].includes(status);
}

describe('fuzz: malformed requests over every route', () => {
  let w: SecurityWorld;
  let routes: string[];
  let key: string;

  beforeAll(async () => {
    w = await securityWorld({ level: 'fatal' });
    key = await w.key(['token', 'refresh', 'proxy', 'oauth'], [w.shop.appid]);
    routes = [...new Set([...w.hub.routes.filter((r) => !r.startsWith('HEAD ')), ...PAGE_ROUTES])];
    expect(routes.length).toBeGreaterThan(15);
  });
  afterAll(async () => {
    await w?.close();
  });

  it(`${CASES} seeded malformed requests (seed ${SEED}): no 500, no crash`, async () => {
    const r = prng(SEED);
    const appids = [w.shop.appid, w.news.appid, 'wx0000000000000000', '', 'x'.repeat(200), '%00', '..'];
    const segment = () => (r.chance(0.5) ? r.pick(JUNK_SEGMENTS) : r.next().toString(36).slice(2));
    const queryValue = () =>
      r.pick([
        '',
        '%',
        '%zz',
        '%E4',
        'a'.repeat(r.pick([10, 5000, 60_000])),
        key,
        'null',
        '[]',
        '{"a":1}',
        encodeURIComponent('\u0000\u0001\uffff'),
        '你好',
        '-1',
        '1e309',
        'javascript:alert(1)',
        '//evil.com',
      ]);
    const failures: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const [routeMethod, template] = r.pick(routes).split(' ') as [string, string];
      let path = template
        .replace(':appid', () => r.pick(appids))
        .replace(/\*$/, () => Array.from({ length: 1 + r.int(3) }, segment).join('/'));
      if (r.chance(0.25)) path += `/${segment()}`;
      if (r.chance(0.1)) path = path.replace(/\//g, () => r.pick(['/', '//', '/./', '/%2f']));
      const params: string[] = [];
      for (let n = r.int(6); n > 0; n--) {
        const name = r.pick([
          'access_token',
          'appid',
          'secret',
          'grant_type',
          'code',
          'state',
          'return_to',
          'scope',
          'type',
          'openid',
          'a[]',
          '__proto__',
          'constructor[prototype]',
          '',
        ]);
        params.push(`${name}=${queryValue()}`);
      }
      if (r.chance(0.3)) params.push(`access_token=${key}`);
      const url = params.length > 0 ? `${path}?${params.join(r.pick(['&', '&&', ';']))}` : path;
      const method = r.chance(0.7)
        ? routeMethod
        : r.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE']);
      const headers: Record<string, string> = {};
      if (r.chance(0.5))
        headers.authorization = r.pick([
          `Bearer ${key}`,
          'Bearer',
          `Bearer ${'x'.repeat(8000)}`,
          `Basic ${Buffer.from('a:b').toString('base64')}`,
          `Bearer wxk_${'0'.repeat(16)}_${'A'.repeat(43)}`,
          `Bearer ${key} ${key}`,
          'bearer wxk_zz_zz',
        ]);
      if (r.chance(0.3))
        headers.accept = r.pick(['text/html', 'application/json', '*/*', 'x'.repeat(4000), '']);
      if (r.chance(0.2))
        headers.cookie = r.pick([
          'wxhub_admin_session=junk',
          'wxhub_oauth_state=a.b.c',
          'a'.repeat(6000),
          '=;=;',
        ]);
      if (r.chance(0.1)) headers['x-wxhub-appid'] = r.pick(appids);
      if (r.chance(0.1)) headers['x-forwarded-for'] = r.pick(['evil', '1.1.1.1, 2.2.2.2', '::1']);
      let payload: string | Buffer | undefined;
      if (!['GET', 'HEAD'].includes(method) && r.chance(0.8)) {
        headers['content-type'] = r.pick([
          'application/json',
          'application/json; charset=utf-16',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/octet-stream',
          'image/png',
          'application/json;;;',
          'x/y',
        ]);
        payload = r.pick<() => string | Buffer>([
          () => '{',
          () => '{"ticket":',
          () => JSON.stringify({ ticket: r.pick([null, 1, [], {}, 'x'.repeat(50)]) }),
          () => JSON.stringify({ stale_token: { $gt: '' }, url: ['x'] }),
          () => JSON.stringify({ url: 'javascript:alert(1)' }),
          () => '{"__proto__":{"polluted":1},"constructor":{"prototype":{"p":1}}}',
          () => 'null',
          () => '[]',
          () => '"str"',
          () => `key=${encodeURIComponent(key)}`,
          () => 'key=%zz&key=',
          () => Buffer.from(Array.from({ length: 1 + r.int(4096) }, () => r.int(256))),
          () => '\u0000'.repeat(100),
          () => 'a'.repeat(200_000),
        ])();
      }
      const opts: InjectOptions & { url: string } = {
        method: method as InjectOptions['method'],
        url,
        headers,
      };
      if (payload !== undefined) opts.payload = payload;
      let status: number;
      try {
        const res = await w.inject(opts);
        status = res.statusCode;
        if (res.body.includes(key)) failures.push(`#${i} ${method} ${url.slice(0, 120)}: echoed the key`);
      } catch (err) {
        failures.push(`#${i} ${method} ${url.slice(0, 120)}: inject threw ${String(err).slice(0, 120)}`);
        continue;
      }
      if (!allowedStatus(url, status)) failures.push(`#${i} ${method} ${url.slice(0, 120)} → ${status}`);
    }
    expect(failures).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await w.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it(`${LANE_CASES} seeded near misses of the fast lanes' own requests: the route's answer, never a 5xx`, async () => {
    const r = prng(SEED + 2);
    // A key no rate limit will stop: both sides of the comparison spend from the same bucket.
    const wide = (
      await w.hub.services.keys.create({
        name: 'lane fuzz',
        appids: [w.shop.appid],
        scopes: ['token', 'proxy'],
        rateLimit: { perSecond: 1e6, burst: 1e6 },
      })
    ).key;
    // Keys the lanes must refuse to take (the route refuses them): another scope, another appid.
    const tokenOnly = await w.key(['token']);
    const proxyOnly = await w.key(['proxy']);
    const newsKey = await w.key(['token', 'proxy'], [w.news.appid]);
    const v1 = `/v1/accounts/${w.shop.appid}/access-token`;
    const proxied = `/cgi-bin/user/get?access_token=${wide}`;
    for (const key of [tokenOnly, proxyOnly, newsKey]) await w.inject({ url: v1, headers: bearer(key) });
    // Warm: the key verified (by the route, on the first call) and the token fetched; then the
    // lanes take the exact shapes.
    const lane = w.laneAnswers();
    for (const url of [v1, v1, proxied, proxied]) {
      const res = await w.inject({ url, headers: bearer(wide) });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(w.laneAnswers()).toBe(lane + 3);

    const pathMutations: ((path: string) => string)[] = [
      (p) => `${p}/`,
      (p) => p.replace('/', '//'),
      (p) => p.replace(/\/([^/]+)$/, '/./$1'),
      (p) => p.replace(/\/([^/]+)$/, '/../$1'),
      (p) => p.replace(/\/([^/]+)$/, '/..;/$1'),
      (p) => p.replace(/\/([^/]+)$/, '/..%3b/$1'),
      (p) => p.replace(/\/([^/]+)$/, '/.;/$1'),
      (p) => p.replace(/\/([^/]+)$/, '/%2e/$1'),
      (p) => `${p};x=1`,
      (p) => p.toUpperCase(),
      (p) => p.replace(/e/, '%65'),
      (p) => `${p}/${r.pick(JUNK_SEGMENTS)}`,
      (p) => p.replace('/cgi-bin/', '/cgi-bin//'),
    ];
    const queryMutations: ((query: string) => string)[] = [
      (q) => `access_token=junk&${q}`,
      (q) => `${q}&access_token=junk`,
      (q) => q.replace('access_token', 'access%5Ftoken'),
      (q) => q.replace('access_token', 'ACCESS_TOKEN'),
      (q) => `${q}&appid=${w.news.appid}`,
      (q) => `${q}&appid=${r.pick(['', '%00', 'x'.repeat(200)])}`,
      (q) => q.replace(wide, `${wide}x`),
      (q) => q.replace(wide, wide.slice(0, -1)),
      (q) => q.replace(wide, r.pick([tokenOnly, newsKey])),
      (q) => q.replace(wide, encodeURIComponent(wide).replace(/_/g, '%5F')),
      (q) => `${q}&&`,
      (q) => `${q};secret=x`,
      (q) => `${q}&x=${'y'.repeat(r.pick([10, 4000]))}`,
    ];
    const headerMutations: ((h: Record<string, string>) => Record<string, string>)[] = [
      (h) => h,
      (h) => ({ ...h, authorization: `bearer ${wide}` }),
      (h) => ({ ...h, authorization: `Bearer  ${wide}  ` }),
      (h) => ({ ...h, authorization: `Bearer ${wide} ${wide}` }),
      (h) => ({ ...h, authorization: `Bearer ${wide}x` }),
      (h) => ({ ...h, authorization: 'Bearer' }),
      (h) => ({ ...h, authorization: `Bearer ${r.pick([proxyOnly, newsKey])}` }),
      (h) => ({ ...h, 'x-wxhub-appid': r.pick([w.news.appid, 'junk', '']) }),
      (h) => ({ ...h, 'x-forwarded-for': '203.0.113.9' }),
      (h) => ({ ...h, accept: 'text/html' }),
      (h) => ({ ...h, 'content-length': '0' }),
    ];
    const failures: string[] = [];
    for (let i = 0; i < LANE_CASES; i++) {
      const template = r.chance(0.5) ? v1 : proxied;
      let [path, query = ''] = template.split('?') as [string, string?];
      if (r.chance(0.4)) path = r.pick(pathMutations)(path);
      if (r.chance(0.4) && query) query = r.pick(queryMutations)(query);
      const headers = r.pick(headerMutations)(template === v1 ? bearer(wide) : {});
      const method = r.chance(0.85) ? 'GET' : r.pick(['HEAD', 'POST', 'OPTIONS', 'DELETE']);
      const url = query ? `${path}?${query}` : path;
      const label = `#${i} ${method} ${url.slice(0, 100)} ${JSON.stringify(headers).slice(0, 80)}`;
      // The hub as it listens (the lanes first), then the same hub's Fastify routing alone.
      const viaLanes = await w.inject({ method: method as 'GET', url, headers });
      const viaRoute = await socketRequest(w.routeUrl, { method, url, headers });
      if (viaLanes.statusCode >= 500 && ![502, 503, 504].includes(viaLanes.statusCode))
        failures.push(`${label}: ${viaLanes.statusCode}`);
      if (viaLanes.statusCode !== viaRoute.statusCode) {
        failures.push(
          `${label}: ${viaLanes.statusCode} over the socket, ${viaRoute.statusCode} from the route`,
        );
        continue;
      }
      if (viaLanes.headers['x-wxhub-error'] !== viaRoute.headers['x-wxhub-error'])
        failures.push(
          `${label}: ${viaLanes.headers['x-wxhub-error']} vs ${viaRoute.headers['x-wxhub-error']}`,
        );
      const read = (body: string) => {
        try {
          const json = JSON.parse(body) as Record<string, unknown>;
          return JSON.stringify([json.errcode, json.access_token, (json.error as { code?: string })?.code]);
        } catch {
          return body.slice(0, 60);
        }
      };
      if (read(viaLanes.body) !== read(viaRoute.body))
        failures.push(`${label}: ${read(viaLanes.body)} vs ${read(viaRoute.body)}`);
      if (viaLanes.body.includes(wide)) failures.push(`${label}: echoed the key`);
    }
    expect(failures).toEqual([]);
    expect(w.laneAnswers()).toBeGreaterThan(lane + 2);
  });

  it('a burst of malformed bytes over real sockets: 4xx or a closed connection, then /healthz is 200', async () => {
    const r = prng(SEED + 1);
    const host = 'Host: x\r\n';
    const raw: string[] = [
      'GARBAGE\r\n\r\n',
      'GET\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      'GET / HTTP/1.1\r\n\r\n',
      `GET /${'a'.repeat(70_000)} HTTP/1.1\r\n${host}\r\n`,
      `GET /healthz HTTP/1.1\r\n${host}X-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\n${host}Bad Header\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\n${host}X: \u0000\r\n\r\n`,
      `POST /v1/oauth/tickets/redeem HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      `POST /v1/oauth/tickets/redeem HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
      `POST /cgi-bin/message/custom/send HTTP/1.1\r\n${host}Content-Length: -1\r\n\r\n`,
      `POST /cgi-bin/message/custom/send HTTP/1.1\r\n${host}Content-Length: 10\r\nContent-Length: 20\r\n\r\n`,
      `GET /cgi-bin/user/get?access_token=%ff%fe HTTP/1.1\r\n${host}\r\n`,
      `GET /oauth/%ff/login?return_to=%ff HTTP/1.1\r\n${host}\r\n`,
      `GET /admin/accounts/%00 HTTP/1.1\r\n${host}Accept: text/html\r\n\r\n`,
      `GET /\u00ff\u00fe HTTP/1.1\r\n${host}\r\n`,
      `OPTIONS * HTTP/1.1\r\n${host}\r\n`,
      `CONNECT evil.com:443 HTTP/1.1\r\nHost: evil.com:443\r\n\r\n`,
      `GET http://evil.com/healthz HTTP/1.1\r\nHost: evil.com\r\n\r\n`,
    ];
    for (let i = 0; i < 60; i++) {
      raw.push(Buffer.from(Array.from({ length: 1 + r.int(2000) }, () => r.int(256))).toString('latin1'));
    }
    const answers = await Promise.all(
      raw.map((bytes) => rawExchange(w.url, Buffer.from(bytes, 'latin1'), 2000)),
    );
    const bad = answers
      .map((a, i) => ({ i, status: a.status }))
      .filter((a) => a.status >= 500 && !(a.status === 505 && a.i === 2));
    expect(bad).toEqual([]);
    const health = await fetch(`${w.url}/healthz`);
    expect(health.status).toBe(200);
    const ok = await fetch(`${w.url}/cgi-bin/user/get?access_token=${key}`);
    expect(ok.status).toBe(200);
  });

  it('regressions found by this suite: a long path parameter is 400, page 404s and bad URLs echo no query', async () => {
    const long = await w.inject({
      url: `/v1/accounts/${'x'.repeat(200)}/access-token`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(long.statusCode).toBe(400);
    expect(long.json().error.code).toBe('WXHUB_ERR_INVALID_ARGUMENT');
    expect((await w.inject({ url: `/oauth/${'x'.repeat(200)}/login` })).statusCode).toBe(400);
    for (const url of [`/favicon.ico?access_token=${key}`, `/admin/login/%?access_token=${key}`]) {
      const res = await w.inject({ method: 'PATCH', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.body, url).not.toContain(key);
    }
  });

  it('the proxy path check refuses double encoding (%25), found by this suite', () => {
    expect(checkProxyPath('/cgi-bin/%252e%252e/__sim/reset').ok).toBe(false);
    expect(checkProxyPath('/cgi-bin/user%252fget').ok).toBe(false);
  });
});
