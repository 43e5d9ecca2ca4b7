import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWeChatError, isWxhubError } from '../../src/errors/index.js';
import { callWeChat, HttpClient, parseRetryAfter, splitUrl, withQuery } from '../../src/http/index.js';

let server: Server;
let base: string;
const seen: { url?: string; body?: string; type?: string } = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      Object.assign(seen, { url: req.url, body, type: req.headers['content-type'] });
      const send = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      };
      if (req.url?.startsWith('/ok')) return send(200, '{"access_token":"T","expires_in":7200}');
      if (req.url?.startsWith('/err'))
        return send(200, '{"errcode":40013,"errmsg":"invalid appid rid: 0000000a-0000000b-0000000c"}');
      if (req.url?.startsWith('/html')) return send(502, '<html><body>502 Bad Gateway</body></html>');
      if (req.url?.startsWith('/empty')) return send(200, '');
      if (req.url?.startsWith('/array')) return send(200, '[1,2]');
      if (req.url?.startsWith('/big')) return send(200, `{"x":"${'a'.repeat(2048)}"}`);
      if (req.url?.startsWith('/split')) {
        // A multi-byte character cut across two writes: the body must still decode whole.
        const bytes = Buffer.from('{"nickname":"微信用户"}');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(bytes.subarray(0, 15));
        setTimeout(() => res.end(bytes.subarray(15)), 20);
        return;
      }
      if (req.url?.startsWith('/hang')) return; // never answers
      send(404, '{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('HttpClient', () => {
  const http = new HttpClient({ timeoutMs: 300, maxBodyBytes: 1024 });
  afterAll(() => http.close());

  it('parses a JSON object body and sends the query', async () => {
    const res = await http.json('GET', `${base}/ok`, { query: { appid: 'wx1', skip: undefined } });
    expect(res).toEqual({ status: 200, body: { access_token: 'T', expires_in: 7200 } });
    expect(seen.url).toBe('/ok?appid=wx1');
  });

  it('sends JSON bodies as application/json', async () => {
    await http.json('POST', `${base}/ok`, { json: { appid: 'wx1' } });
    expect(seen).toMatchObject({ body: '{"appid":"wx1"}', type: 'application/json' });
  });

  it.each(['/html', '/empty', '/array'])('turns %s into a typed upstream-body error', async (path) => {
    const err = await http.json('GET', `${base}${path}`).catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_UPSTREAM_BODY')).toBe(true);
  });

  it('caps the body size', async () => {
    const err = await http.json('GET', `${base}/big`).catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_UPSTREAM_BODY')).toBe(true);
    expect(err.message).toMatch(/larger than 1024/);
  });

  it('decodes a body that arrives in pieces', async () => {
    const res = await http.json('GET', `${base}/split`);
    expect(res.body).toEqual({ nickname: '微信用户' });
  });

  it('caps the body size on a dispatcher the caller supplied too', async () => {
    const dispatcher = new Agent();
    const own = new HttpClient({ dispatcher, maxBodyBytes: 1024 });
    try {
      const err = await own.json('GET', `${base}/big`).catch((e) => e);
      expect(err.message).toMatch(/larger than 1024/);
      await expect(own.json('GET', `${base}/ok`)).resolves.toMatchObject({ status: 200 });
    } finally {
      await dispatcher.close();
    }
  });

  it('times out a hanging upstream without leaking the secret', async () => {
    const err = await http.json('GET', `${base}/hang`, { query: { secret: 'S3CR3T' } }).catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_TIMEOUT')).toBe(true);
    expect(err.message).not.toContain('S3CR3T');
  });

  it('reports a refused connection as a transport error', async () => {
    const err = await http.json('GET', 'http://127.0.0.1:1/x?access_token=TOK').catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_TRANSPORT')).toBe(true);
    expect(err.message).not.toContain('TOK');
  });
});

describe('callWeChat', () => {
  const http = new HttpClient({ timeoutMs: 1000 });
  afterAll(() => http.close());

  it('resolves a success body', async () => {
    await expect(callWeChat(http, 'GET', base, '/ok')).resolves.toMatchObject({ access_token: 'T' });
  });

  it('rejects errcode bodies with WeChatError', async () => {
    const err = await callWeChat(http, 'GET', base, '/err').catch((e) => e);
    expect(isWeChatError(err)).toBe(true);
    expect(err).toMatchObject({ errcode: 40013, rid: '0000000a-0000000b-0000000c', path: '/err' });
  });
});

describe('splitUrl', () => {
  it('cuts a URL into origin and path, query kept, without a URL object', () => {
    expect(splitUrl('https://api.weixin.qq.com/cgi-bin/token?a=1')).toEqual({
      origin: 'https://api.weixin.qq.com',
      path: '/cgi-bin/token?a=1',
    });
    expect(splitUrl('http://127.0.0.1:8080')).toEqual({ origin: 'http://127.0.0.1:8080', path: '/' });
    expect(splitUrl('http://h:1?x=1')).toEqual({ origin: 'http://h:1', path: '/?x=1' });
    expect(() => splitUrl('/relative')).toThrow(/absolute/);
  });
});

describe('withQuery', () => {
  it('appends to an existing query and skips undefined', () => {
    expect(withQuery('/a?x=1', { y: 2, z: undefined })).toBe('/a?x=1&y=2');
    expect(withQuery('/a', {})).toBe('/a');
  });
});

describe('withQuery encoding', () => {
  it('encodes exactly as URLSearchParams does', () => {
    const query = { a: 'x y', b: "!'()~*-._", c: '中文&=?/#+', d: 0, e: false, f: 'Tok_en-1.2*', g: '' };
    const pairs = Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]);
    const expected = new URLSearchParams(pairs).toString();
    expect(withQuery('/p', query)).toBe(`/p?${expected}`);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('Thu, 03 Dec 2026 09:00:00 GMT');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 03 Dec 2026 09:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Thu, 03 Dec 2026 08:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
