import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HubTokenProvider } from '../../src/client/index.js';
import { isWxhubError } from '../../src/errors/index.js';

// A stand-in hub that speaks the v1 contract, so the provider is tested on its own.
let server: Server;
let url: string;
let current = 'token-1';
/** Answers queued for the next requests, before the normal ones: [status, retry-after, error code]. */
const busy: [number, string | undefined, string][] = [];
const requests: { method?: string; url?: string; auth?: string; body: string }[] = [];

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => resolve(body));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await read(req);
    requests.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (req.headers.authorization !== 'Bearer good-key') {
      return reply(401, {
        error: { code: 'WXHUB_ERR_UNAUTHORIZED', message: 'Missing or invalid client key' },
      });
    }
    await new Promise((r) => setTimeout(r, 20));
    const queued = busy.shift();
    if (queued) {
      const [status, retryAfter, code] = queued;
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
      });
      return res.end(JSON.stringify({ error: { code, message: 'busy' } }));
    }
    if (req.url === '/v1/accounts/wx1/access-token')
      return reply(200, { access_token: current, expires_in: 7000, expires_at: 0 });
    if (req.url === '/v1/accounts/wx1/access-token/refresh') {
      const { stale_token } = JSON.parse(body);
      if (stale_token === current) current = `token-${Number(current.split('-')[1]) + 1}`;
      return reply(200, { access_token: current, expires_in: 7200, expires_at: 0 });
    }
    if (req.url === '/v1/accounts/wx1/jsapi-ticket?type=jsapi')
      return reply(200, { ticket: 'ticket-1', expires_in: 7200, expires_at: 0 });
    if (req.url === '/v1/accounts/wx2/access-token')
      return reply(503, {
        error: { code: 'WXHUB_ERR_ACCOUNT_DISABLED', message: 'wx2: WeChat errcode 40164', errcode: 40164 },
      });
    return reply(404, { error: { code: 'WXHUB_ERR_UNKNOWN_ACCOUNT', message: 'Unknown appid' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  requests.length = 0;
  busy.length = 0;
  current = 'token-1';
});

describe('HubTokenProvider', () => {
  it('asks the hub once for many concurrent callers, then serves from its cache', async () => {
    const hub = new HubTokenProvider({ url: `${url}/`, key: 'good-key' });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => hub.getAccessToken('wx1')));
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    await hub.getAccessToken('wx1');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'GET', auth: 'Bearer good-key' });
    await hub.close();
  });

  it('reports a stale token to the hub and caches the answer', async () => {
    const hub = new HubTokenProvider({ url, key: 'good-key' });
    const stale = await hub.getAccessToken('wx1');
    const fresh = await Promise.all(Array.from({ length: 20 }, () => hub.refreshAccessToken('wx1', stale)));
    expect(new Set(fresh)).toEqual(new Set(['token-2']));
    expect(requests.filter((r) => r.url?.endsWith('/refresh'))).toHaveLength(1);
    expect(JSON.parse(requests[1]?.body ?? '{}')).toEqual({ stale_token: 'token-1' });
    // an older token reported after the cache moved on costs no request
    expect(await hub.refreshAccessToken('wx1', stale)).toBe('token-2');
    expect(await hub.getAccessToken('wx1')).toBe('token-2');
    expect(requests).toHaveLength(2);
    await hub.close();
  });

  it('gets tickets', async () => {
    const hub = new HubTokenProvider({ url, key: 'good-key' });
    expect(await hub.getTicket('wx1', 'jsapi')).toBe('ticket-1');
    await hub.close();
  });

  it('turns hub errors into WxhubError with the same code and errcode', async () => {
    const hub = new HubTokenProvider({ url, key: 'bad-key' });
    const unauthorized = await hub.getAccessToken('wx1').catch((e) => e);
    expect(isWxhubError(unauthorized, 'WXHUB_ERR_UNAUTHORIZED')).toBe(true);
    expect(unauthorized.message).not.toContain('bad-key');
    const good = new HubTokenProvider({ url, key: 'good-key' });
    const disabled = await good.getAccessToken('wx2').catch((e) => e);
    expect(isWxhubError(disabled, 'WXHUB_ERR_ACCOUNT_DISABLED')).toBe(true);
    expect(disabled.errcode).toBe(40164);
    await Promise.all([hub.close(), good.close()]);
  });

  it('asks again after Retry-After when the hub is busy (429, a passing 503), with jitter', async () => {
    const hub = new HubTokenProvider({ url, key: 'good-key' });
    busy.push([429, '1', 'WXHUB_ERR_RATE_LIMITED'], [503, '0', 'WXHUB_ERR_STORE_UNAVAILABLE']);
    const started = Date.now();
    expect(await hub.refreshAccessToken('wx1', 'token-1')).toBe('token-2');
    const took = Date.now() - started;
    expect(requests.filter((r) => r.url?.endsWith('/refresh'))).toHaveLength(3);
    // 1 s from the first Retry-After (+ ≤ 200 ms jitter), then 0 s (+ ≤ 100 ms), plus 3 × 20 ms.
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(3000);
    await hub.close();
  });

  it('gives up at once on a 503 that waiting cannot cure, and within its bounds otherwise', async () => {
    const hub = new HubTokenProvider({ url, key: 'good-key', retry: { retries: 2, maxRetryWaitMs: 5000 } });
    busy.push([503, '1', 'WXHUB_ERR_ACCOUNT_DISABLED']);
    const disabled = await hub.getAccessToken('wx1').catch((e) => e);
    expect(isWxhubError(disabled, 'WXHUB_ERR_ACCOUNT_DISABLED')).toBe(true);
    expect(requests).toHaveLength(1);

    requests.length = 0;
    busy.push(
      ...Array.from({ length: 5 }, (): [number, string, string] => [429, '0', 'WXHUB_ERR_RATE_LIMITED']),
    );
    const limited = await hub.getAccessToken('wx1').catch((e) => e);
    expect(isWxhubError(limited, 'WXHUB_ERR_RATE_LIMITED')).toBe(true);
    expect(requests).toHaveLength(3); // the call and its 2 retries

    // A Retry-After longer than the whole budget is not waited out.
    requests.length = 0;
    busy.length = 0;
    busy.push([429, '60', 'WXHUB_ERR_RATE_LIMITED']);
    const started = Date.now();
    const far = await hub.getAccessToken('wx1').catch((e) => e);
    expect(isWxhubError(far, 'WXHUB_ERR_RATE_LIMITED')).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(requests).toHaveLength(1);
    await hub.close();
  });

  it('checks its options', () => {
    expect(() => new HubTokenProvider({ url: 'http://hub', key: 'k', retry: { retries: -1 } })).toThrow(
      /retries/,
    );
    expect(() => new HubTokenProvider({ url: 'hub:8080', key: 'k' })).toThrow(/url/);
    expect(() => new HubTokenProvider({ url: 'http://hub', key: '' })).toThrow(/key/);
  });
});
