import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, http } from '../fleet/support/processes.js';
import { startTestSim, type TestSim } from '../support/sim.js';
import { type ServedHub, startServedHub } from './support/served-hub.js';

/**
 * Huge and malformed requests over real sockets to a real `wxhub serve` (test/hub covers the
 * same ground through `inject()`, which never parses HTTP bytes nor streams a body). Each must be
 * refused without an upstream call, without buffering more than the cap, and without hurting
 * the process: /healthz and a normal call still work after all of them.
 */
interface RawAnswer {
  /** Status of the first response on the connection, 0 when none came. */
  readonly status: number;
  readonly text: string;
  /** ms from connect until the status line arrived. */
  readonly ms: number;
  /** Bytes the client managed to write before the server answered or closed. */
  readonly written: number;
}

/**
 * Writes `head` and then `body` chunks (as fast as the socket takes them) and reads until the
 * server closes or `timeoutMs`; write errors (the server hung up mid-upload) are expected.
 */
function raw(url: string, head: string, body: Iterable<Buffer> = [], timeoutMs = 5000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const started = performance.now();
    let text = '';
    let firstAt = 0;
    let written = 0;
    let answered = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, text, ms: firstAt ? firstAt - started : Number.NaN, written });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!firstAt) firstAt = performance.now();
      answered = true;
      if (/\r\n\r\n/.test(text) && /content-length: 0\r\n|\r\n\r\n.+/is.test(text)) {
        // Give the rest of a small answer a moment, then stop reading.
        setTimeout(finish, 50);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.on('connect', async () => {
      socket.write(head);
      written += Buffer.byteLength(head);
      for (const chunk of body) {
        if (answered || socket.destroyed) break;
        const ok = socket.write(chunk);
        written += chunk.length;
        if (!ok) await new Promise<void>((r) => socket.once('drain', () => r()).once('close', () => r()));
      }
    });
  });
}

function* chunks(total: number, size = 64 * 1024, chunked = false): Iterable<Buffer> {
  const piece = Buffer.alloc(size, 0x61);
  for (let sent = 0; sent < total; sent += size) {
    yield chunked
      ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
      : piece;
  }
}

describe('huge and malformed requests over a real socket', () => {
  let sim: TestSim;
  let served: ServedHub;
  let url: string;
  let appid: string;
  let openid: string;
  let key: string;
  let standIn: string;
  const upstreamCalls = async () => Object.values((await sim.stats()).calls).reduce((n, c) => n + c, 0);

  beforeAll(async () => {
    sim = await startTestSim();
    const account = await sim.account();
    appid = account.appid;
    openid = (await sim.user(appid)).openid;
    served = await startServedHub(sim.url, [account]);
    url = served.hub.url;
    key = await served.key(appid, 'token,refresh,proxy');
    const issued = await http(
      `${url}/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${key}`,
    );
    standIn = String(issued.body.access_token);
    expect(standIn.length).toBeGreaterThan(100);
  });
  afterAll(async () => {
    await served?.close();
    await sim?.close();
  });

  it('garbage, an oversized header or URL, a NUL in a header: 4xx from the HTTP parser, no upstream call', async () => {
    const before = await upstreamCalls();
    const garbage = await raw(url, 'HELLO WECHAT\r\n\r\n');
    expect(garbage.status).toBe(400);
    const hugeHeader = await raw(
      url,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(hugeHeader.status).toBe(431);
    const hugeUrl = await raw(
      url,
      `GET /cgi-bin/user/info?access_token=${standIn}&openid=${openid}&pad=${'p'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(hugeUrl.status).toBe(431);
    const nul = await raw(url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n');
    expect(nul.status).toBe(400);
    const badLength = await raw(
      url,
      `POST /cgi-bin/user/info/batchget?access_token=${standIn} HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n`,
    );
    expect(badLength.status).toBe(400);
    expect(await upstreamCalls()).toBe(before);
  });

  it('a 100 MB Content-Length is refused at once (45002 on the drop-in, 413 on /v1), before any of the body is sent', async () => {
    const before = await upstreamCalls();
    // Only the head is sent: an answer proves the hub did not wait for (or buffer) the body.
    const res = await raw(
      url,
      `POST /cgi-bin/user/info/batchget?access_token=${standIn} HTTP/1.1\r\nHost: x\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`,
    );
    // WeChat's way on its paths: HTTP 200 with the errcode, the hub's reason in X-Wxhub-Error.
    expect(res.status).toBe(200);
    expect(res.text).toContain('"errcode":45002');
    expect(res.text).toMatch(/x-wxhub-error: WXHUB_ERR_PAYLOAD_TOO_LARGE/i);
    expect(res.ms).toBeLessThan(2000);
    const v1 = await raw(
      url,
      `POST /v1/accounts/${appid}/access-token/refresh HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`,
    );
    expect(v1.status).toBe(413);
    expect(v1.text).toContain('WXHUB_ERR_PAYLOAD_TOO_LARGE');
    expect(await upstreamCalls()).toBe(before);
  });

  it('a chunked upload that has not ended is cut at dropIn.maxBodyBytes (45002), not buffered to its end', async () => {
    const before = await upstreamCalls();
    // 1 MiB and one byte of an upload that never sends its last chunk: the answer comes at the
    // cap. (Exactly that much, so the hub has read every byte sent and closes without a reset.)
    const res = await raw(
      url,
      `POST /cgi-bin/user/info/batchget?access_token=${standIn} HTTP/1.1\r\nHost: x\r\n` +
        'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      [...chunks(1024 * 1024, 64 * 1024, true), Buffer.from('1\r\na\r\n')],
    );
    expect(res.status).toBe(200);
    expect(res.text).toContain('"errcode":45002');
    expect(res.ms).toBeLessThan(2000);
    expect(await upstreamCalls()).toBe(before);
  });

  it('malformed bodies and URLs: JSON errors in the right shape, never a 500', async () => {
    const refresh = `${url}/v1/accounts/${appid}/access-token/refresh`;
    const post = (body: string, type = 'application/json') =>
      fetch(refresh, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': type },
        body,
      });
    const deep = await post(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: { code: string } }).error.code).toBe(
      'WXHUB_ERR_INVALID_ARGUMENT',
    );
    const truncated = await post('{"stale_token": "abc');
    expect(truncated.status).toBe(400);
    const wrongType = await post(JSON.stringify({ stale_token: 42 }));
    expect(wrongType.status).toBe(400);
    expect(await wrongType.text()).toContain('stale_token');
    const badUtf8 = await raw(
      url,
      `POST /v1/accounts/${appid}/access-token/refresh HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 20\r\nConnection: close\r\n\r\n',
      [
        Buffer.from([
          0x7b, 0x22, 0x73, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xfd, 0x22, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20,
          0x20, 0x20, 0x20, 0x20,
        ]),
      ],
    );
    expect(badUtf8.status).toBe(400);
    const badEscape = await raw(
      url,
      `GET /v1/accounts/%E0%A4%A/access-token HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nConnection: close\r\n\r\n`,
    );
    expect([400, 404]).toContain(badEscape.status);
    expect(badEscape.text).toMatch(/"error":\{"code":"WXHUB_ERR_/);
    const dropInEscape = await raw(
      url,
      `GET /cgi-bin/user/info?access_token=%ZZ&openid=${openid} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(dropInEscape.status).toBe(200); // WeChat's status for its errors
    expect(dropInEscape.text).toContain('"errcode":40001');
    expect(dropInEscape.text).toMatch(/x-wxhub-error: WXHUB_ERR_UNAUTHORIZED/i);
  });

  it('a caller that hangs up mid-call: the upstream call is abandoned, not waited for', async () => {
    const abandoned = async () => {
      const text = (await http(`${url}/metrics`)).text;
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('wxhub_upstream_calls_total{') &&
            l.includes('path="/cgi-bin/user/info"') &&
            l.includes('errcode="-2"'),
        );
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const before = await abandoned();
    await sim.fault({ path: '/cgi-bin/user/info', rate: 1, delayMs: 4000, count: 1 });
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `GET /cgi-bin/user/info?access_token=${standIn}&openid=${openid} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const hungUpAt = performance.now();
    socket.destroy();
    // WeChat would answer after 4 s; the hub drops its call as soon as its caller is gone.
    const dropped = await eventually(async () => (await abandoned()) > before, 2000, 50);
    expect(dropped, 'the upstream call ended with the caller').toBe(true);
    expect(performance.now() - hungUpAt).toBeLessThan(2500);
  });

  it('the hub is unharmed afterwards', async () => {
    expect((await http(`${url}/healthz`)).status).toBe(200);
    const info = await http(`${url}/cgi-bin/user/info?access_token=${standIn}&openid=${openid}`);
    expect(info.body.openid).toBe(openid);
    expect(served.hub.child.exitCode).toBe(null);
  });
});
