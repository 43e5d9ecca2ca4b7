import { createHash } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WxhubError } from '../../src/errors/index.js';
import { MemoryEventLog } from '../../src/gateway/log/memory-event-log.js';
import { CallbackCodec } from '../../src/gateway/receive/callback-codec.js';
import { callbackLane } from '../../src/gateway/receive/callback-lane.js';
import { PushReceiver } from '../../src/gateway/receive/push-receiver.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

const APPID = 'wx1234567890abcdef';
const TOKEN = 'Tok3n';
const sha1 = (...parts: string[]) => createHash('sha1').update(parts.sort().join('')).digest('hex');
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A node:http server offering each request to the lane, then to a stand-in for Fastify (418). */
async function laneServer(log = new MemoryEventLog()) {
  const clock = new ManualClock(1_700_000_000_000);
  const codec = new CallbackCodec(APPID, { token: TOKEN, mode: 'plain' });
  const receiver = new PushReceiver({
    codec: (appid) => (appid === APPID ? codec : undefined),
    log,
    partitions: 4,
    clock,
  });
  const answered: number[] = [];
  const refused: string[] = [];
  let closing = false;
  const lane = callbackLane({
    receiver,
    closing: () => closing,
    log: silentLogger,
    onRefused: (_appid, code) => refused.push(code),
    onAnswered: (_req, status) => answered.push(status),
  });
  const server = createServer((req, res) => {
    if (!lane(req, res)) res.writeHead(418).end('router');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const now = String(Math.floor(clock.now() / 1000));
  const query = new URLSearchParams({ signature: sha1(TOKEN, now, '7'), timestamp: now, nonce: '7' });
  const text = (msgId: string) =>
    `<xml><ToUserName><![CDATA[gh_acc]]></ToUserName><FromUserName><![CDATA[oU]]></FromUserName><CreateTime>${now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>${msgId}</MsgId></xml>`;
  const post = async (body: string, options: { path?: string; chunked?: boolean } = {}) => {
    const { path = `/callback/${APPID}?${query}`, chunked = false } = options;
    const res = await fetch(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      // A stream has no content-length: it goes out chunked.
      body: chunked ? new Blob([body]).stream() : body,
      ...(chunked ? { duplex: 'half' } : {}),
    } as RequestInit);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };
  return {
    post,
    text,
    log,
    answered,
    refused,
    close: () => {
      closing = true;
    },
    origin,
  };
}

describe('callbackLane', () => {
  it('answers a push before the router, as the route does: success, then the same for a retry, logged once', async () => {
    const { post, text, log, answered } = await laneServer();
    expect(await post(text('1'))).toEqual({
      status: 200,
      type: 'text/plain; charset=utf-8',
      body: 'success',
    });
    expect((await post(text('1'))).body).toBe('success');
    expect(await log.readAppid(APPID, null, 10)).toHaveLength(1);
    expect(answered).toEqual([200, 200]);
  });

  it('refuses with the registry status and code, and 503 when the log fails', async () => {
    const broken = new MemoryEventLog();
    broken.append = async () => {
      throw new WxhubError('WXHUB_ERR_STORE_UNAVAILABLE', 'down');
    };
    const { post, text, refused, answered } = await laneServer(broken);
    expect(await post('not xml')).toMatchObject({ status: 400, body: 'WXHUB_ERR_CALLBACK_XML\n' });
    expect(
      await post(text('2'), { path: `/callback/${APPID}?signature=x&timestamp=1&nonce=1` }),
    ).toMatchObject({
      status: 403,
    });
    expect(await post(text('3'))).toMatchObject({ status: 503, body: 'WXHUB_ERR_STORE_UNAVAILABLE\n' });
    expect(refused).toEqual([
      'WXHUB_ERR_CALLBACK_XML',
      'WXHUB_ERR_CALLBACK_SIGNATURE',
      'WXHUB_ERR_STORE_UNAVAILABLE',
    ]);
    expect(answered).toEqual([400, 403, 503]);
  });

  it('leaves to the router what it does not take: other paths, chunked and oversized bodies, a closing hub', async () => {
    const { post, text, close, origin } = await laneServer();
    expect((await post(text('4'), { path: `/callback/${APPID}/more` })).status).toBe(418);
    expect((await post(text('5'), { chunked: true })).status).toBe(418);
    expect((await post(`<xml><A>${'x'.repeat(70_000)}</A></xml>`)).status).toBe(418);
    expect((await fetch(`${origin}/callback/${APPID}`)).status).toBe(418); // GET: the URL check
    close();
    expect((await post(text('6'))).status).toBe(418);
  });

  it('cuts nothing when the caller goes away before the answer', async () => {
    const { text, origin, log } = await laneServer();
    const url = new URL(`/callback/${APPID}`, origin);
    await new Promise<void>((resolve) => {
      const req = httpRequest(url, { method: 'POST', headers: { 'content-length': '1000' } });
      req.on('error', () => resolve());
      req.write(text('7').slice(0, 50), () => {
        req.destroy();
        resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(await log.readAppid(APPID, null, 10)).toEqual([]);
  });
});
