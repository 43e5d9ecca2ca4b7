import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import { tokenKey } from '../../src/tokens/index.js';
import { FakeWeChat } from './support/fake-wechat.js';
import {
  APP_A,
  APP_B,
  APP_C,
  SECRET_A,
  SECRET_B,
  SECRET_C,
  type TestHub,
  testHub,
} from './support/hub-fixture.js';

describe('drop-in proxy', () => {
  let t: TestHub;
  let standIn: string;
  let tokenKeyA: string;

  beforeAll(async () => {
    t = await testHub({ config: { dropIn: { maxBodyBytes: 2048 } } });
    tokenKeyA = await t.key(['token'], [APP_A]);
    standIn = await dropInToken(APP_A, tokenKeyA);
  });
  afterAll(() => t.close());

  async function dropInToken(appid: string, secret: string): Promise<string> {
    const res = await t.hub.app.inject({
      url: `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`,
    });
    expect(res.statusCode).toBe(200);
    return res.json().access_token;
  }
  const get = (url: string, headers: Record<string, string> = {}) =>
    t.hub.app.inject({ method: 'GET', url, headers });
  /** The hub's own refusal, as WeChat answers errors (HTTP 200), with its reason in X-Wxhub-Error. */
  const refused = async (
    url: string,
    errcode = 40001,
    code = 'WXHUB_ERR_UNAUTHORIZED',
    headers: Record<string, string> = {},
  ) => {
    const before = t.fake.calls.length;
    const res = await get(url, headers);
    expect(res.statusCode, url).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
    expect(res.json().errcode).toBe(errcode);
    expect(res.headers['x-wxhub-error'], url).toBe(code);
    expect(t.fake.calls.length, 'no upstream call').toBe(before);
    return res;
  };

  describe('with a stand-in', () => {
    it('forwards to WeChat with the real token put in, everything else unchanged', async () => {
      const res = await get(`/cgi-bin/user/info?access_token=${standIn}&openid=oABC&lang=zh_CN`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
      expect(res.json()).toEqual({ subscribe: 1, openid: 'oABC', language: 'zh_CN' });
      const call = t.fake.callsTo('/cgi-bin/user/info').at(-1)!;
      expect(call.query).toEqual({ access_token: t.fake.current(APP_A), openid: 'oABC', lang: 'zh_CN' });
    });

    it("acts for the stand-in's own appid, whatever ?appid= says", async () => {
      await get(`/cgi-bin/user/info?access_token=${standIn}&openid=o1&appid=${APP_B}`);
      expect(t.fake.callsTo('/cgi-bin/user/info').at(-1)!.query.access_token).toBe(t.fake.current(APP_A));
    });

    it('refreshes once and retries once when WeChat says the token died (the caller never sees 40001)', async () => {
      await get(`/cgi-bin/user/info?access_token=${standIn}&openid=o1`);
      const fetches = t.fake.callsTo('/cgi-bin/token').length;
      const calls = t.fake.callsTo('/cgi-bin/user/info').length;
      const dead = t.fake.current(APP_A)!;
      t.fake.invalidate(APP_A); // another server fetched a token: ours is dead
      const res = await get(`/cgi-bin/user/info?access_token=${standIn}&openid=o2`);
      expect(res.statusCode).toBe(200);
      expect(res.json().openid).toBe('o2');
      expect(t.fake.callsTo('/cgi-bin/token')).toHaveLength(fetches + 1);
      const tries = t.fake.callsTo('/cgi-bin/user/info').slice(calls);
      expect(tries.map((c) => c.query.access_token)).toEqual([dead, t.fake.current(APP_A)]);
    });

    it('resends the buffered POST body on the retry', async () => {
      t.fake.invalidate(APP_A);
      const body = JSON.stringify({ user_list: [{ openid: 'o1' }, { openid: 'o2' }] });
      const calls = t.fake.callsTo('/cgi-bin/user/info/batchget').length;
      const res = await t.hub.app.inject({
        method: 'POST',
        url: `/cgi-bin/user/info/batchget?access_token=${standIn}`,
        headers: { 'content-type': 'application/json' },
        payload: body,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().user_info_list).toHaveLength(2);
      const tries = t.fake.callsTo('/cgi-bin/user/info/batchget').slice(calls);
      expect(tries).toHaveLength(2);
      for (const call of tries) {
        expect(call.body).toBe(body);
        expect(call.contentType).toBe('application/json');
      }
    });

    it('retries exactly once: a token error after the refresh reaches the caller as WeChat sent it', async () => {
      t.fake.override('/cgi-bin/user/info', (_r, reply) =>
        reply
          .header('content-type', 'application/json')
          .serializer((p: unknown) => p as string)
          .send('{"errcode":42001,"errmsg":"access_token expired"}'),
      );
      try {
        const calls = t.fake.callsTo('/cgi-bin/user/info').length;
        const fetches = t.fake.callsTo('/cgi-bin/token').length;
        const res = await get(`/cgi-bin/user/info?access_token=${standIn}&openid=o1`);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ errcode: 42001, errmsg: 'access_token expired' });
        expect(t.fake.callsTo('/cgi-bin/user/info')).toHaveLength(calls + 2);
        expect(t.fake.callsTo('/cgi-bin/token')).toHaveLength(fetches + 1);
      } finally {
        t.fake.override('/cgi-bin/user/info', undefined);
      }
    });

    it('is refused once older than 7200 s, however valid it was', async () => {
      const young = await dropInToken(APP_A, tokenKeyA);
      t.clock.advance(7199_000);
      expect((await get(`/cgi-bin/user/info?access_token=${young}&openid=o1`)).statusCode).toBe(200);
      t.clock.advance(1_000);
      await refused(`/cgi-bin/user/info?access_token=${young}&openid=o1`);
    });

    it('is refused when forged, or when its key was revoked', async () => {
      const fresh = await dropInToken(APP_A, tokenKeyA);
      const bytes = Buffer.from(fresh, 'base64url');
      bytes[bytes.length - 1]! ^= 1;
      await refused(`/cgi-bin/user/info?access_token=${bytes.toString('base64url')}&openid=o1`);
      const key = await t.key(['token'], [APP_A]);
      const doomed = await dropInToken(APP_A, key);
      expect((await get(`/cgi-bin/user/info?access_token=${doomed}&openid=o1`)).statusCode).toBe(200);
      await t.hub.services.keys.revoke(key);
      await refused(`/cgi-bin/user/info?access_token=${doomed}&openid=o1`);
    });
  });

  describe('without an accepted access_token: 40001 and no upstream call', () => {
    it('missing, junk, or the real WeChat token itself', async () => {
      await refused('/cgi-bin/user/info?openid=o1');
      await refused('/cgi-bin/user/info?openid=o1&access_token=');
      await refused(`/cgi-bin/user/info?openid=o1&access_token=${'x'.repeat(150)}`);
      const real = t.fake.current(APP_A)!;
      const res = await refused(`/cgi-bin/user/info?openid=o1&access_token=${real}`);
      expect(res.body).not.toContain(real);
    });

    it('POST /cgi-bin/token and /cgi-bin/stable_token are not a way around the drop-in', async () => {
      const before = t.fake.calls.length;
      const res = await t.hub.app.inject({
        method: 'POST',
        url: '/cgi-bin/stable_token',
        headers: { 'content-type': 'application/json' },
        payload: { grant_type: 'client_credential', appid: APP_A, secret: tokenKeyA },
      });
      expect(res.json().errcode).toBe(40001);
      expect(t.fake.calls.length).toBe(before);
    });
  });

  describe('with a client key as access_token', () => {
    it('a proxy key with one appid acts for it', async () => {
      const key = await t.key(['proxy'], [APP_B]);
      const res = await get(`/cgi-bin/user/info?access_token=${key}&openid=o1`);
      expect(res.statusCode).toBe(200);
      expect(t.fake.callsTo('/cgi-bin/user/info').at(-1)!.query.access_token).toBe(t.fake.current(APP_B));
    });

    it('a key with several appids must name one (?appid= or X-Wxhub-Appid)', async () => {
      const key = await t.key(['proxy'], [APP_A, APP_B]);
      await refused(`/cgi-bin/user/info?access_token=${key}&openid=o1`, 41002, 'WXHUB_ERR_INVALID_ARGUMENT');
      expect((await get(`/cgi-bin/user/info?access_token=${key}&openid=o1&appid=${APP_B}`)).statusCode).toBe(
        200,
      );
      expect(t.fake.callsTo('/cgi-bin/user/info').at(-1)!.query.access_token).toBe(t.fake.current(APP_B));
      expect(
        (await get(`/cgi-bin/user/info?access_token=${key}&openid=o1`, { 'x-wxhub-appid': APP_A }))
          .statusCode,
      ).toBe(200);
      expect(t.fake.callsTo('/cgi-bin/user/info').at(-1)!.query.access_token).toBe(t.fake.current(APP_A));
      await refused(
        `/cgi-bin/user/info?access_token=${key}&openid=o1&appid=${APP_C}`,
        40001,
        'WXHUB_ERR_FORBIDDEN',
      );
      await refused(
        `/cgi-bin/user/info?access_token=${key}&openid=o1&appid=wxnope`,
        40013,
        'WXHUB_ERR_UNKNOWN_ACCOUNT',
      );
    });

    it('a key without the proxy scope, revoked, or wrong is refused', async () => {
      const tokenOnly = await t.key(['token', 'refresh'], [APP_A]);
      await refused(`/cgi-bin/user/info?access_token=${tokenOnly}&openid=o1`, 40001, 'WXHUB_ERR_FORBIDDEN');
      const revoked = await t.key(['proxy'], [APP_A]);
      await t.hub.services.keys.revoke(revoked);
      await refused(`/cgi-bin/user/info?access_token=${revoked}&openid=o1`);
      await refused(`/cgi-bin/user/info?access_token=wxk_0123456789abcdef_${'A'.repeat(43)}&openid=o1`);
    });
  });

  describe('bodies and answers', () => {
    beforeAll(async () => {
      standIn = await dropInToken(APP_A, tokenKeyA); // the clock moved past the first one's life
    });

    it('caps request bodies (dropIn.maxBodyBytes): 45002 (HTTP 200, WXHUB_ERR_PAYLOAD_TOO_LARGE), no upstream call', async () => {
      for (const size of [4096, 10 * 1024 * 1024]) {
        const before = t.fake.calls.length;
        const res = await t.hub.app.inject({
          method: 'POST',
          url: `/cgi-bin/user/info/batchget?access_token=${standIn}`,
          headers: { 'content-type': 'application/json' },
          payload: 'x'.repeat(size),
        });
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_PAYLOAD_TOO_LARGE');
        expect(res.json().errcode).toBe(45002);
        expect(t.fake.calls.length).toBe(before);
      }
    });

    it("streams media with WeChat's status, content type and bytes", async () => {
      const res = await get(`/cgi-bin/media/get?access_token=${standIn}&media_id=m1`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('image/jpeg');
      expect(res.headers['content-disposition']).toBe('attachment; filename="a.jpg"');
      expect(res.rawPayload).toEqual(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0, 255]));
    });

    it("passes a gateway's HTML error page through as it was sent", async () => {
      const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
      t.fake.override('/cgi-bin/user/info', (_r, reply) =>
        reply.code(502).header('content-type', 'text/html').send(html),
      );
      try {
        const res = await get(`/cgi-bin/user/info?access_token=${standIn}&openid=o1`);
        expect(res.statusCode).toBe(502);
        expect(res.headers['content-type']).toBe('text/html');
        expect(res.body).toBe(html);
        expect(res.headers['x-wxhub-error']).toBeUndefined(); // WeChat's (a gateway's) answer, not the hub's
      } finally {
        t.fake.override('/cgi-bin/user/info', undefined);
      }
    });

    it("passes WeChat's own 404 for a path it does not know", async () => {
      const res = await get(`/cgi-bin/no/such/api?access_token=${standIn}`);
      expect(res.statusCode).toBe(404);
      expect(res.json().errcode).toBe(40066);
      expect(res.headers['x-wxhub-error']).toBeUndefined();
    });
  });

  describe('/sns/*', () => {
    it('/sns/oauth2/access_token takes an oauth key as secret and sends the real one', async () => {
      const key = await t.key(['oauth'], [APP_A]);
      const res = await get(
        `/sns/oauth2/access_token?appid=${APP_A}&secret=${key}&code=C0DE&grant_type=authorization_code`,
      );
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ access_token: 'web-C0DE', openid: 'o1' });
      expect(t.fake.callsTo('/sns/oauth2/access_token').at(-1)!.query).toEqual({
        appid: APP_A,
        secret: SECRET_A,
        code: 'C0DE',
        grant_type: 'authorization_code',
      });
    });

    it('/sns/oauth2/access_token refuses anything but an oauth key for the appid (or an allowed appsecret)', async () => {
      const tokenOnly = await t.key(['token', 'proxy'], [APP_A]);
      await refused(
        `/sns/oauth2/access_token?appid=${APP_A}&secret=${tokenOnly}&code=C&grant_type=authorization_code`,
        40125,
        'WXHUB_ERR_FORBIDDEN',
      );
      await refused(
        `/sns/oauth2/access_token?appid=${APP_A}&secret=${SECRET_A}&code=C&grant_type=authorization_code`,
        40125,
      );
      await refused(
        `/sns/oauth2/access_token?appid=${APP_B}&secret=${SECRET_B}&code=C&grant_type=authorization_code`,
        40125,
      );
      await refused(
        `/sns/oauth2/access_token?appid=wxnope&secret=x&code=C&grant_type=authorization_code`,
        40013,
        'WXHUB_ERR_UNKNOWN_ACCOUNT',
      );
      await refused(
        `/sns/oauth2/access_token?appid=${APP_A}&code=C&grant_type=authorization_code`,
        41004,
        'WXHUB_ERR_UNAUTHORIZED',
      );
      const allowed = await get(
        `/sns/oauth2/access_token?appid=${APP_C}&secret=${SECRET_C}&code=C&grant_type=authorization_code`,
      );
      expect(allowed.statusCode).toBe(200);
    });

    it('/sns/userinfo, /sns/auth and /sns/oauth2/refresh_token pass through unchanged', async () => {
      const query = 'access_token=WEB%2BTOKEN&openid=o1&lang=zh_CN';
      const res = await get(`/sns/userinfo?${query}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().echo).toBe(query);
      await get('/sns/auth?access_token=W&openid=o1');
      expect(t.fake.callsTo('/sns/auth').at(-1)!.rawQuery).toBe('access_token=W&openid=o1');
      await get(`/sns/oauth2/refresh_token?appid=${APP_A}&grant_type=refresh_token&refresh_token=R`);
      expect(t.fake.callsTo('/sns/oauth2/refresh_token').at(-1)!.query.refresh_token).toBe('R');
    });
  });
});

describe('drop-in proxy when WeChat misbehaves', () => {
  /** A hub whose WeChat is `base`, with APP_A's token already stored (so nothing is fetched there). */
  async function hubBefore(base: string, token: string) {
    const store = new MemoryStore();
    const now = Date.now();
    await store.compareAndSetCredential(tokenKey('access_token', APP_A), 0, {
      value: token,
      fetchedAt: now,
      expiresAt: now + 7_200_000,
    });
    const t = await testHub({
      store,
      config: { wechat: { apiBase: base, openBase: base, timeoutMs: 500 } },
      accounts: [{ appid: APP_A, secret: SECRET_A, tokenMode: 'classic' }],
    });
    const close = async () => {
      await t.close();
      await store.close();
    };
    return { t, close };
  }

  it('an upstream that hangs: errcode -1 (HTTP 200, WXHUB_ERR_TIMEOUT) within wechat.timeoutMs', async () => {
    const fake = await FakeWeChat.start({ [APP_A]: SECRET_A });
    const t = await testHub({
      fake,
      config: { wechat: { apiBase: fake.url, openBase: fake.url, timeoutMs: 300 } },
      accounts: [{ appid: APP_A, secret: SECRET_A, tokenMode: 'classic' }],
    });
    try {
      const key = await t.key(['proxy'], [APP_A]);
      fake.override('/cgi-bin/user/info', (_r, reply) => {
        reply.hijack(); // never answers
      });
      const started = Date.now();
      const res = await t.hub.app.inject({ url: `/cgi-bin/user/info?access_token=${key}&openid=o1` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_TIMEOUT');
      expect(res.json().errcode).toBe(-1);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await t.close();
      await fake.close();
    }
  });

  it('an upstream that refuses connections: errcode -1 (HTTP 200, WXHUB_ERR_TRANSPORT)', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const { t, close } = await hubBefore(`http://127.0.0.1:${port}`, 'T'.repeat(120));
    try {
      const key = await t.key(['proxy'], [APP_A]);
      const res = await t.hub.app.inject({ url: `/cgi-bin/user/info?access_token=${key}&openid=o1` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_TRANSPORT');
      expect(res.json().errcode).toBe(-1);
      expect(res.body).not.toContain('T'.repeat(120));
    } finally {
      await close();
    }
  });

  it('an apiBase with a path of its own: every proxied path goes under it', async () => {
    const seen: string[] = [];
    const server = createHttpServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"openid":"o1","subscribe":1}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/wx/gateway`;
    const { t, close } = await hubBefore(base, 'R'.repeat(100));
    try {
      const key = await t.key(['proxy'], [APP_A]);
      const res = await t.hub.app.inject({ url: `/cgi-bin/user/info?access_token=${key}&openid=o1` });
      expect(res.statusCode).toBe(200);
      expect(seen).toEqual([`/wx/gateway/cgi-bin/user/info?access_token=${'R'.repeat(100)}&openid=o1`]);
    } finally {
      await close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
