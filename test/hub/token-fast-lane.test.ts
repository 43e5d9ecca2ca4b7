import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestLog } from '../../src/hub/http/request-hooks.js';
import { tokenFastLane } from '../../src/hub/http/token-fast-lane.js';
import { APP_A, APP_B, bearer, LogCapture, type TestHub, testHub } from './support/hub-fixture.js';

/**
 * The token route's fast lane answers only what it can settle from memory, with the route's own
 * bytes; everything else reaches the Fastify route, whose answers (and errors) are unchanged.
 * Over a real socket: `inject()` never meets the lane.
 */
describe('the token fast lane', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function listening(config = {}, logger?: LogCapture['logger']) {
    t = await testHub({ config, logger });
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.hub.app.server.address() as AddressInfo;
    // Fastify's onResponse hook records every request it served; the lane records its own.
    const routed = vi.spyOn(t.hub.services.metrics, 'request');
    let sent = 0;
    const get = async (
      path: string,
      headers: Record<string, string> = {},
      method: 'GET' | 'HEAD' = 'GET',
    ) => {
      sent++;
      const res = await request(`http://127.0.0.1:${port}${path}`, { method, headers });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    };
    const answered = () => sent - routed.mock.calls.length;
    return { t, get, answered };
  }

  const tokenPath = `/v1/accounts/${APP_A}/access-token`;

  it('answers a known key and a warm token with the same bytes the route sends', async () => {
    const { t, get, answered } = await listening();
    const key = await t.key(['token']);
    const first = await get(tokenPath, bearer(key)); // key not cached yet: the route answers
    expect(first.status).toBe(200);
    expect(answered()).toBe(0);
    const fast = await get(tokenPath, bearer(key));
    expect(answered()).toBe(1);
    const routed = await t.hub.app.inject({ url: tokenPath, headers: bearer(key) });
    expect(fast.text).toBe(routed.body);
    expect(fast.text).toBe(first.text); // the manual clock stands still: same expires_in
    expect(fast.headers['content-type']).toBe(routed.headers['content-type']);
    expect(fast.headers['content-length']).toBe(routed.headers['content-length']);
    expect(JSON.parse(fast.text)).toEqual({
      access_token: t.fake.current(APP_A),
      expires_in: expect.any(Number),
      expires_at: expect.any(Number),
    });
  });

  it('serializes a new answer when a second passes or the token changes', async () => {
    const { t, get, answered } = await listening();
    const key = await t.key(['token', 'refresh']);
    await get(tokenPath, bearer(key));
    const before = JSON.parse((await get(tokenPath, bearer(key))).text);
    t.clock.advance(1000);
    const later = JSON.parse((await get(tokenPath, bearer(key))).text);
    expect(later.expires_in).toBe(before.expires_in - 1);
    await t.hub.app.inject({
      method: 'POST',
      url: `${tokenPath}/refresh`,
      headers: bearer(key),
      payload: { stale_token: before.access_token },
    });
    await get(tokenPath, bearer(key)); // the new token warms through the route
    const renewed = JSON.parse((await get(tokenPath, bearer(key))).text);
    expect(renewed.access_token).not.toBe(before.access_token);
    expect(renewed.access_token).toBe(t.fake.current(APP_A));
    expect(answered()).toBeGreaterThanOrEqual(3);
  });

  it('never refuses: every failure is the route’s own answer', async () => {
    const { t, get, answered } = await listening();
    const key = await t.key(['token']);
    const proxyOnly = await t.key(['proxy']);
    const limited = await t.key(['token'], [APP_A], { perSecond: 0.001, burst: 1 });
    for (const k of [key, proxyOnly, limited]) await get(tokenPath, bearer(k)); // cache them all

    expect((await get(tokenPath)).status).toBe(401);
    expect((await get(tokenPath, bearer(`${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`))).status).toBe(
      401,
    );
    expect((await get(tokenPath, bearer(proxyOnly))).status).toBe(403);
    expect((await get(`/v1/accounts/${APP_B}/access-token`, bearer(key))).status).toBe(403);
    expect((await get('/v1/accounts/wxnosuchaccount000/access-token', bearer(key))).status).toBe(404);
    const over = await get(tokenPath, bearer(limited));
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toBeDefined();
    expect(answered()).toBe(0);

    // What the route would serve, the lane leaves to it too.
    expect((await get(`${tokenPath}?x=1`, bearer(key))).status).toBe(200);
    expect((await get(tokenPath, bearer(key), 'HEAD')).status).toBe(200);
    expect(answered()).toBe(0);

    await t.hub.services.keys.revoke(key);
    expect((await get(tokenPath, bearer(key))).status).toBe(401);
  });

  it('counts its answers in the request histogram under the route pattern', async () => {
    const { t, get, answered } = await listening();
    const key = await t.key(['token']);
    for (let i = 0; i < 4; i++) await get(tokenPath, bearer(key));
    expect(answered()).toBe(3);
    const metrics = await t.hub.services.metrics.registry.metrics();
    expect(metrics).toContain(
      'wxhub_http_request_duration_seconds_count{route="/v1/accounts/:appid/access-token",method="GET",status="200"} 4',
    );
  });

  it('is off when every request must be logged, and says nothing by default', async () => {
    const quiet = new LogCapture();
    const a = await listening({}, quiet.logger);
    const key = await a.t.key(['token']);
    for (let i = 0; i < 3; i++) await a.get(tokenPath, bearer(key));
    await a.get(tokenPath, bearer('wxk_nope'));
    expect(quiet.text()).toContain('"statusCode":401');
    expect(quiet.text()).not.toContain('"statusCode":200');
    await a.t.close();

    const all = new LogCapture();
    const b = await listening({ logging: { level: 'info', requests: 'all' } }, all.logger);
    const key2 = await b.t.key(['token']);
    for (let i = 0; i < 3; i++) await b.get(tokenPath, bearer(key2));
    expect(b.answered()).toBe(0);
    expect(all.text().match(/"statusCode":200/g)).toHaveLength(3);
  });

  it('steps aside while the hub closes', async () => {
    const { t } = await listening();
    const key = await t.key(['token']);
    await t.hub.app.inject({ url: tokenPath, headers: bearer(key) });
    const res = { writeHead: vi.fn(), end: vi.fn() };
    const req = { method: 'GET', url: tokenPath, headers: bearer(key) };
    const requests = new RequestLog(t.hub.services, t.hub.app.log);
    expect(tokenFastLane(t.hub.services, requests, () => false)(req as never, res as never)).toBe(true);
    expect(tokenFastLane(t.hub.services, requests, () => true)(req as never, res as never)).toBe(false);
    expect(res.end).toHaveBeenCalledTimes(1);
  });
});

describe("logging.requests: 'off'", () => {
  it('logs no request line, not even a refusal', async () => {
    const capture = new LogCapture();
    const t = await testHub({
      logger: capture.logger,
      config: { logging: { level: 'info', requests: 'off' } },
    });
    try {
      await t.hub.app.inject({ url: `/v1/accounts/${APP_A}/access-token` });
      expect(capture.text()).not.toContain('request completed');
    } finally {
      await t.close();
    }
  });
});
