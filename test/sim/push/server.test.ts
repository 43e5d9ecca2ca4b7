import { describe, expect, it } from 'vitest';
import { AES_KEY, TOKEN } from '../support/push.js';
import { answer, hang, startReceiver } from '../support/receiver.js';
import { APPID, makeSim, twoAccounts } from '../support/sim.js';
import { sha1Sorted } from '../support/wechat-crypto.js';

const serverPath = `/__sim/accounts/${APPID}/server`;

describe('POST /__sim/accounts/:appid/server (the URL check)', () => {
  it("sends WeChat's signed GET and saves the server when the echostr comes back", async () => {
    const sim = makeSim();
    const receiver = await startReceiver();
    const res = await sim.post(serverPath, { url: receiver.url, token: TOKEN, mode: 'plain' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ appid: APPID, url: receiver.url, mode: 'plain' });
    expect(receiver.requests).toHaveLength(1);
    const [check] = receiver.requests;
    expect(check!.method).toBe('GET');
    expect(check!.path).toBe('/wx');
    expect(check!.queryOrder).toEqual(['signature', 'timestamp', 'nonce', 'echostr']);
    const q = check!.query;
    // Virtual time: the test clock starts at 2026-01-01 04:00 UTC.
    expect(q.get('timestamp')).toBe(String(Date.UTC(2026, 0, 1, 4) / 1000));
    expect(q.get('nonce')).toMatch(/^\d{10}$/);
    expect(q.get('echostr')).toMatch(/^\d{19}$/);
    expect(q.get('signature')).toBe(sha1Sorted(TOKEN, q.get('timestamp')!, q.get('nonce')!));
    const account = await sim.getJson(`/__sim/accounts/${APPID}`);
    expect(account.server).toEqual({ url: receiver.url, mode: 'plain', timeoutMs: null });
    expect(JSON.stringify(account)).not.toContain(TOKEN);
  });

  it('does the same unencrypted check in safe mode, and keeps the URL query', async () => {
    const sim = makeSim();
    const receiver = await startReceiver();
    const url = `${receiver.url}?tenant=a`;
    const res = await sim.post(serverPath, { url, token: TOKEN, encodingAESKey: AES_KEY, mode: 'safe' });
    expect(res.statusCode, res.body).toBe(200);
    expect(receiver.requests[0]!.queryOrder).toEqual([
      'tenant',
      'signature',
      'timestamp',
      'nonce',
      'echostr',
    ]);
  });

  it('answers 400 and keeps the old server when the echo is wrong, not 200 or unreachable', async () => {
    const sim = makeSim();
    const good = await startReceiver();
    expect((await sim.post(serverPath, { url: good.url, token: TOKEN, mode: 'plain' })).statusCode).toBe(200);
    const bad = await startReceiver();
    const cases: Array<[(() => void) | undefined, RegExp, string?]> = [
      [() => bad.next(answer(200, 'hello')), /answered "hello" instead of the echostr \d{19}/],
      [
        () => bad.next((req, res) => answer(200, `${req.query.get('echostr')}\n`)(req, res)),
        /instead of the echostr/,
      ],
      [() => bad.next(answer(500, 'oops')), /HTTP 500/],
      [undefined, /unreachable \(ECONNREFUSED\)/, 'http://127.0.0.1:1/wx'],
    ];
    for (const [script, reason, url] of cases) {
      script?.();
      const res = await sim.post(serverPath, { url: url ?? bad.url, token: TOKEN, mode: 'plain' });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toEqual({ error: 'url_check_failed', message: expect.stringMatching(reason) });
    }
    expect((await sim.getJson(`/__sim/accounts/${APPID}`)).server.url).toBe(good.url);
  });

  it("gives up after the timeout (WeChat's 5 s; timeoutMs for tests)", async () => {
    const sim = makeSim();
    const receiver = await startReceiver();
    receiver.next(hang);
    const started = Date.now();
    const res = await sim.post(serverPath, {
      url: receiver.url,
      token: TOKEN,
      mode: 'plain',
      timeoutMs: 200,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/no answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("validates like WeChat's console: Token, EncodingAESKey, mode, URL", async () => {
    const sim = makeSim();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ token: 'ab' }, 'token'],
      [{ token: 'a'.repeat(33) }, 'token'],
      [{ token: 'has-dash' }, 'token'],
      [{ mode: 'safe' }, 'encodingAESKey'],
      [{ mode: 'compatible', encodingAESKey: AES_KEY.slice(1) }, 'encodingAESKey'],
      [{ mode: 'safe', encodingAESKey: `${AES_KEY.slice(1)}+` }, 'encodingAESKey'],
      [{ mode: 'secure' }, 'mode'],
      [{ url: 'ftp://127.0.0.1/wx' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ extra: 1 }, '(root)'],
    ];
    for (const [override, field] of cases) {
      const res = await sim.post(serverPath, {
        url: 'http://127.0.0.1:1/wx',
        token: TOKEN,
        mode: 'plain',
        ...override,
      });
      expect(res.statusCode, JSON.stringify(override)).toBe(400);
      expect(
        res.json().issues.map((i: { path: string }) => i.path),
        JSON.stringify(override),
      ).toContain(field);
    }
  });

  it('refuses unknown accounts (404) and website apps (400)', async () => {
    const fixture = twoAccounts();
    fixture.accounts.push({ appid: 'wxweb0000000000001', secret: 's', kind: 'website' });
    const sim = makeSim(fixture);
    const body = { url: 'http://127.0.0.1:1/wx', token: TOKEN, mode: 'plain' };
    expect((await sim.post('/__sim/accounts/wxnope/server', body)).statusCode).toBe(404);
    const web = await sim.post('/__sim/accounts/wxweb0000000000001/server', body);
    expect(web.statusCode).toBe(400);
    expect(web.json().message).toMatch(/website app/);
  });
});
