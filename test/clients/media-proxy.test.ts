import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedHub, startServedHub } from './support/served-hub.js';

/**
 * A media download larger than the token client's 4 MiB body cap, through the drop-in proxy of a
 * real `wxhub serve`: WeChat serves temporary media (a video) up to 10 MB from
 * `/cgi-bin/media/get`, and the proxy must stream it whole, with WeChat's type and length.
 * (The simulator has no media API, so a small stand-in for WeChat's host serves it.)
 */
const APPID = 'wx3ed1a0000000a001';
const SECRET = randomBytes(16).toString('hex');
const VIDEO = randomBytes(9 * 1024 * 1024);

describe('the drop-in proxy with a large media download', () => {
  let upstream: Server;
  let served: ServedHub;
  /** Resolves with whether the slow download's upstream response was cut before its end. */
  let slowClosed: Promise<boolean> = Promise.resolve(false);

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://wechat');
      if (url.pathname === '/cgi-bin/token' && url.searchParams.get('secret') === SECRET) {
        res.writeHead(200, { 'content-type': 'application/json; encoding=utf-8' });
        res.end(JSON.stringify({ access_token: `T${randomBytes(60).toString('hex')}`, expires_in: 7200 }));
      } else if (
        url.pathname === '/cgi-bin/media/get' &&
        url.searchParams.get('access_token')?.startsWith('T')
      ) {
        res.writeHead(200, {
          'content-type': 'video/mp4',
          'content-disposition': 'attachment; filename="clip.mp4"',
          'content-length': VIDEO.length,
        });
        res.end(VIDEO);
      } else if (url.pathname === '/cgi-bin/media/slow') {
        // 64 KiB every 20 ms, for 10 s if nobody stops it.
        res.writeHead(200, { 'content-type': 'video/mp4' });
        slowClosed = new Promise((resolve) => res.once('close', () => resolve(!res.writableFinished)));
        let sent = 0;
        const timer = setInterval(() => {
          if (++sent >= 500) {
            clearInterval(timer);
            res.end();
          } else res.write(VIDEO.subarray(0, 64 * 1024));
        }, 20);
        res.once('close', () => clearInterval(timer));
      } else {
        res.writeHead(200, { 'content-type': 'application/json; encoding=utf-8' });
        res.end('{"errcode":40001,"errmsg":"invalid credential"}');
      }
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    served = await startServedHub(url, [{ appid: APPID, secret: SECRET }]);
  });
  afterAll(async () => {
    await served?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('streams a 9 MiB video whole, with WeChat status, type and length', async () => {
    const key = await served.key(APPID, 'proxy');
    const res = await request(`${served.hub.url}/cgi-bin/media/get?access_token=${key}&media_id=m1`);
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.headers['content-length']).toBe(String(VIDEO.length));
    expect(body.length).toBe(VIDEO.length);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(body)).toBe(sha(VIDEO));
  });

  it('stops downloading from WeChat when its caller goes away mid-stream', async () => {
    const key = await served.key(APPID, 'proxy');
    const res = await request(`${served.hub.url}/cgi-bin/media/slow?access_token=${key}&media_id=m2`);
    expect(res.statusCode).toBe(200);
    for await (const chunk of res.body) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      break; // leaving the loop destroys the body: the caller hangs up
    }
    const cut = await Promise.race([
      slowClosed,
      new Promise<string>((r) => setTimeout(() => r('timeout'), 3000)),
    ]);
    expect(cut).toBe(true);
  });
});
