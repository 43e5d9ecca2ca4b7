import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConfigInput } from '../../src/config/index.js';
import { clientAddress, proxyFastLane } from '../../src/hub/http/proxy-fast-lane.js';
import { RequestLog } from '../../src/hub/http/request-hooks.js';
import { parseClientKey } from '../../src/hub/keys/client-key-format.js';
import { FakeWeChat } from './support/fake-wechat.js';
import {
  APP_A,
  APP_B,
  LogCapture,
  SECRET_A,
  SECRET_B,
  type TestHub,
  testHub,
} from './support/hub-fixture.js';
import { rawRequest } from './support/raw-http.js';

/**
 * The drop-in proxy's fast lane takes plain GETs from callers it knows from memory and forwards
 * them exactly as the route does; everything else reaches the Fastify route. Over a real socket:
 * `inject()` never meets the lane, so the route's answer to the same request is the reference.
 */
describe('the proxy fast lane', () => {
  let t: TestHub | undefined;
  const fakes: FakeWeChat[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await t?.close();
    t = undefined;
    for (const fake of fakes.splice(0)) await fake.close();
  });

  async function listening(config: Partial<ConfigInput> = {}, logger = new LogCapture().logger) {
    const fake = await FakeWeChat.start({ [APP_A]: SECRET_A, [APP_B]: SECRET_B });
    fakes.push(fake);
    const wechat = { apiBase: fake.url, openBase: fake.url, timeoutMs: 2000, ...config.wechat };
    t = await testHub({ fake, config: { ...config, wechat }, logger });
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.hub.app.server.address() as AddressInfo;
    const key = await t.key(['token', 'proxy']);
    const standIn = (
      await t.hub.app.inject({
        url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secret=${key}`,
      })
    ).json().access_token as string;
    // Every request ends in RequestLog.finish(): the route's with Fastify's per-request child
    // logger, the lane's with the hub's own logger.
    const finished = vi.spyOn(RequestLog.prototype, 'finish');
    // Paths go out byte for byte (undici would resolve `/./`).
    const send = async (path: string, options: { method?: 'GET' | 'POST'; body?: string } = {}) => {
      const res = await rawRequest(`http://127.0.0.1:${port}`, options.method ?? 'GET', path, options.body);
      return { status: res.status, headers: res.headers, body: res.bytes };
    };
    const answered = () => finished.mock.calls.filter(([log]) => log === logger).length;
    return { t, send, answered, key, standIn, port };
  }

  /** The same request through the route, for comparison (the fake answers the same each time). */
  const routeAnswer = async (t: TestHub, url: string) => {
    const res = await t.hub.app.inject({ url });
    return { status: res.statusCode, headers: res.headers, body: res.rawPayload };
  };
  /** A refusal of the hub's own, as WeChat answers its errors: HTTP 200, the reason in X-Wxhub-Error. */
  const refused = <T extends { status: number; headers: Record<string, unknown>; body: Buffer }>(
    res: T,
    errcode: number,
    code: string,
  ): T => {
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString()).errcode).toBe(errcode);
    expect(res.headers['x-wxhub-error']).toBe(code);
    return res;
  };
  const sameAnswer = (
    a: Awaited<ReturnType<typeof routeAnswer>>,
    b: Awaited<ReturnType<typeof routeAnswer>>,
  ) => {
    expect(a.status).toBe(b.status);
    for (const name of ['content-type', 'content-length', 'content-disposition'])
      expect(a.headers[name], name).toEqual(b.headers[name]);
    expect(a.body.equals(b.body)).toBe(true);
  };

  it('forwards a known stand-in’s call with the real token and the route’s status, headers and bytes', async () => {
    const { t, send, answered, standIn } = await listening();
    const url = `/cgi-bin/user/info?access_token=${standIn}&openid=oABC&lang=zh_CN`;
    const first = await send(url); // the stand-in is verified once, by the route
    expect(answered()).toBe(0);
    const fast = await send(url);
    expect(answered()).toBe(1);
    sameAnswer(fast, first);
    sameAnswer(fast, await routeAnswer(t, url));
    expect(JSON.parse(fast.body.toString())).toEqual({ subscribe: 1, openid: 'oABC', language: 'zh_CN' });
    const call = t.fake.callsTo('/cgi-bin/user/info').at(-1)!;
    expect(call.query).toEqual({ access_token: t.fake.current(APP_A), openid: 'oABC', lang: 'zh_CN' });
  });

  it('passes the rest of the query on byte for byte, with one access_token where the first stood', async () => {
    const { t, send, answered, standIn } = await listening();
    const url = `/cgi-bin/user/info?openid=o%2BA~&access_token=${standIn}&note=a+b&access_token=x&lang=zh_CN`;
    await send(url);
    const fast = await send(url);
    expect(answered()).toBe(1);
    expect(fast.status).toBe(200);
    for (const call of t.fake.callsTo('/cgi-bin/user/info').slice(-2)) {
      expect(call.rawQuery).toBe(`openid=o%2BA~&access_token=${t.fake.current(APP_A)}&note=a+b&lang=zh_CN`);
    }
  });

  it('takes a cached client key as the access_token too', async () => {
    const { t, send, answered } = await listening();
    const key = await t.key(['proxy']);
    const url = `/cgi-bin/user/info?access_token=${key}&openid=oK`;
    expect((await send(url)).status).toBe(200);
    expect((await send(url)).status).toBe(200);
    expect(answered()).toBe(1);
    expect(t.fake.callsTo('/cgi-bin/user/info').at(-1)!.query.access_token).toBe(t.fake.current(APP_A));
  });

  it('retries once after refresh-if-current: the caller never sees 40001', async () => {
    const { t, send, answered, standIn } = await listening();
    const url = `/cgi-bin/user/info?access_token=${standIn}&openid=oR`;
    await send(url);
    const before = t.fake.current(APP_A);
    t.fake.invalidate(APP_A); // another fetcher rotated the token behind the hub's back
    const res = await send(url);
    expect(answered()).toBe(1);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString()).openid).toBe('oR');
    expect(t.fake.current(APP_A)).not.toBe(before);
    const metrics = await t.hub.services.metrics.registry.metrics();
    expect(metrics).toContain(`wxhub_proxy_token_retries_total{appid="${APP_A}"} 1`);
  });

  it('streams media through with WeChat’s type and disposition, as the route does', async () => {
    const { t, send, answered, standIn } = await listening();
    const url = `/cgi-bin/media/get?access_token=${standIn}&media_id=m1`;
    await send(url);
    const fast = await send(url);
    expect(answered()).toBe(1);
    expect(fast.headers['content-type']).toBe('image/jpeg');
    sameAnswer(fast, await routeAnswer(t, url));
  });

  it('answers an upstream that hangs as the route does (HTTP 200, WeChat’s -1, WXHUB_ERR_TIMEOUT), with an access line', async () => {
    const capture = new LogCapture();
    const { t, send, answered, standIn, key } = await listening(
      { wechat: { timeoutMs: 150 }, logging: { level: 'info' } },
      capture.logger,
    );
    const url = `/cgi-bin/user/info?access_token=${standIn}&openid=oH`;
    await send(url);
    t.fake.override('/cgi-bin/user/info', () => new Promise(() => undefined));
    const fast = await send(url);
    expect(answered()).toBe(1);
    expect(fast.status).toBe(200);
    expect(fast.headers['x-wxhub-error']).toBe('WXHUB_ERR_TIMEOUT');
    expect(JSON.parse(fast.body.toString()).errcode).toBe(-1);
    sameAnswer(fast, await routeAnswer(t, url));
    const line = capture.lines.map((l) => JSON.parse(l)).find((l) => l.error === 'WXHUB_ERR_TIMEOUT');
    expect(line).toMatchObject({
      route: '/cgi-bin/*',
      req: { method: 'GET' },
      res: { statusCode: 200 },
      remoteAddress: '127.0.0.1',
    });
    expect(line.keyId).toBe(parseClientKey(key)!.id);
    expect(capture.text()).not.toContain(standIn);
    expect(capture.text()).not.toContain(t.fake.current(APP_A)!);
  });

  it('relays WeChat’s HTML error page with its status, as the route does', async () => {
    const { t, send, answered, standIn } = await listening();
    const url = `/cgi-bin/user/info?access_token=${standIn}&openid=oX`;
    await send(url);
    t.fake.override('/cgi-bin/user/info', (_request, reply) =>
      reply.code(502).header('content-type', 'text/html').send('<html>bad gateway</html>'),
    );
    const fast = await send(url);
    expect(answered()).toBe(1);
    expect(fast.status).toBe(502);
    expect(fast.body.toString()).toBe('<html>bad gateway</html>');
    sameAnswer(fast, await routeAnswer(t, url));
  });

  it('answers a defect in its own path with WeChat’s -1 (HTTP 200, WXHUB_ERR_INTERNAL), as the route does, and serves on', async () => {
    const { t, send, answered, standIn } = await listening();
    const url = `/cgi-bin/user/info?access_token=${standIn}&openid=oD`;
    await send(url);
    const report = vi.spyOn(t.hub.services.manager, 'reportUpstream').mockImplementation(() => {
      throw new Error('a defect');
    });
    const fast = await send(url);
    expect(answered()).toBe(1);
    expect(fast.status).toBe(200);
    expect(fast.headers['x-wxhub-error']).toBe('WXHUB_ERR_INTERNAL');
    expect(JSON.parse(fast.body.toString()).errcode).toBe(-1);
    const routed = await routeAnswer(t, url);
    expect(routed.status).toBe(200);
    expect(routed.headers['x-wxhub-error']).toBe('WXHUB_ERR_INTERNAL');
    expect(JSON.parse(routed.body.toString()).errcode).toBe(-1);
    report.mockRestore();
    expect((await send(url)).status).toBe(200);
  });

  it('abandons the upstream request when the caller hangs up', async () => {
    const { t, send, answered, standIn, port } = await listening();
    const url = `/cgi-bin/user/info?access_token=${standIn}&openid=oL`;
    await send(url);
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      upstreamClosed = resolve;
    });
    t.fake.override('/cgi-bin/user/info', (request) => {
      request.raw.socket.once('close', () => upstreamClosed());
      return new Promise(() => undefined);
    });
    const caller = new AbortController();
    const pending = request(`http://127.0.0.1:${port}${url}`, { signal: caller.signal }).catch((err) => err);
    await vi.waitFor(() => expect(t!.fake.callsTo('/cgi-bin/user/info')).toHaveLength(2));
    caller.abort();
    await pending;
    await closed; // the hub let go of WeChat's socket instead of waiting out the timeout
    // Nothing was written to the caller; the lane still ends the request once, as its own.
    await vi.waitFor(() => expect(answered()).toBe(1));
  });

  it('leaves to the route everything it cannot settle from memory, and the route answers as always', async () => {
    const { t, send, answered, standIn, key } = await listening();
    const info = (token: string, extra = '') => `/cgi-bin/user/info?access_token=${token}&openid=o1${extra}`;
    await send(info(standIn));
    expect(answered()).toBe(0);

    expect((await send(info(standIn), { method: 'POST', body: '{}' })).status).toBe(200);
    refused(await send('/cgi-bin/user/info?openid=o1'), 40001, 'WXHUB_ERR_UNAUTHORIZED'); // no token
    refused(await send(info('not-a-stand-in')), 40001, 'WXHUB_ERR_UNAUTHORIZED');
    refused(await send(info(`${key}x`)), 40001, 'WXHUB_ERR_UNAUTHORIZED');
    refused(await send(`/cgi-bin/user/./info?access_token=${standIn}`), 40066, 'WXHUB_ERR_PROXY_PATH');
    refused(
      await send(`/cgi-bin/user/%69nfo?access_token=${standIn}&openid=o1`),
      40066,
      'WXHUB_ERR_PROXY_PATH',
    );
    expect((await send(`/sns/userinfo?access_token=web&openid=o1`)).status).toBe(200);
    const token = await send(`/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secret=${key}`);
    expect(JSON.parse(token.body.toString()).access_token).toBeDefined();
    expect(answered()).toBe(0);

    // A stand-in for an account whose token is cold: the route warms it.
    const keyB = await t.key(['token', 'proxy'], [APP_B]);
    // Issued here, not by /cgi-bin/token, which would warm the token first.
    const standInB = t.hub.services.standIns.issue(APP_B, parseClientKey(keyB)!.id);
    await t.hub.services.standIns.verify(standInB);
    await t.hub.services.keys.verify(keyB);
    expect(t.fake.callsTo('/cgi-bin/token').filter((c) => c.query.appid === APP_B)).toHaveLength(0);
    expect((await send(info(standInB))).status).toBe(200);
    expect(answered()).toBe(0);
    expect(t.fake.callsTo('/cgi-bin/token').filter((c) => c.query.appid === APP_B)).toHaveLength(1);

    // A revoked key's stand-in: the key leaves the cache, the route refuses it.
    await t.hub.services.keys.revoke(key);
    refused(await send(info(standIn)), 40001, 'WXHUB_ERR_UNAUTHORIZED');
    expect(answered()).toBe(0);
  });

  it('leaves a caller over its rate limit to the route’s 45011', async () => {
    const { t, send, answered } = await listening();
    const limited = await t.key(['proxy'], [APP_A], { perSecond: 0.001, burst: 2 });
    const url = `/cgi-bin/user/info?access_token=${limited}&openid=o1`;
    expect((await send(url)).status).toBe(200);
    expect((await send(url)).status).toBe(200);
    expect(answered()).toBe(1);
    const over = refused(await send(url), 45011, 'WXHUB_ERR_RATE_LIMITED');
    expect(over.headers['retry-after']).toBe('1000');
    expect(answered()).toBe(1);
  });

  it('counts its answers in the request histogram under the route pattern', async () => {
    const { t, send, answered, standIn } = await listening();
    for (let i = 0; i < 4; i++) await send(`/cgi-bin/user/info?access_token=${standIn}&openid=o${i}`);
    expect(answered()).toBe(3);
    const metrics = await t.hub.services.metrics.registry.metrics();
    expect(metrics).toContain(
      'wxhub_http_request_duration_seconds_count{route="/cgi-bin/*",method="GET",status="200"} 4',
    );
    expect(metrics).toContain(
      `wxhub_upstream_calls_total{appid="${APP_A}",path="/cgi-bin/user/info",errcode="0"} 4`,
    );
  });

  it('is off when every request must be logged', async () => {
    const { send, answered, standIn } = await listening({ logging: { level: 'info', requests: 'all' } });
    for (let i = 0; i < 3; i++) await send(`/cgi-bin/user/info?access_token=${standIn}&openid=o1`);
    expect(answered()).toBe(0);
  });

  it('steps aside while the hub closes', async () => {
    const { t, standIn } = await listening();
    await t.hub.app.inject({ url: `/cgi-bin/user/info?access_token=${standIn}` });
    const req = {
      method: 'GET',
      url: `/cgi-bin/user/info?access_token=${standIn}`,
      headers: {},
      socket: { remoteAddress: '127.0.0.1' },
    };
    const requests = new RequestLog(t.hub.services, t.hub.app.log);
    const lane = (closing: boolean) => proxyFastLane(t!.hub.services, requests, () => closing);
    const res = Object.assign(new EventEmitter(), {
      destroyed: false,
      headersSent: false,
      writeHead: vi.fn(),
      end: vi.fn(),
    });
    expect(lane(true)(req as never, res as never)).toBe(false);
    expect(lane(false)(req as never, res as never)).toBe(true);
    await vi.waitFor(() => expect(res.end).toHaveBeenCalledTimes(1));
    expect(res.writeHead).toHaveBeenCalledWith(
      200,
      expect.objectContaining({ 'content-type': expect.any(String) }),
    );
  });
});

describe('clientAddress', () => {
  const req = (forwarded?: string) =>
    ({
      headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
      socket: { remoteAddress: '10.0.0.9' },
    }) as unknown as IncomingMessage;

  it('is the socket’s address, unless trustProxy names the first X-Forwarded-For hop', () => {
    expect(clientAddress(req('203.0.113.7, 10.0.0.1'), false)).toBe('10.0.0.9');
    expect(clientAddress(req('203.0.113.7, 10.0.0.1'), true)).toBe('203.0.113.7');
    expect(clientAddress(req(), true)).toBe('10.0.0.9');
  });
});
