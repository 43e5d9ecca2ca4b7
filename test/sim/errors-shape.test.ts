import { describe, expect, it } from 'vitest';
import { errmsgFor } from '../../src/wechat/errcodes.js';
import { APPID, expectWeChatError, makeSim, SECRET } from './support/sim.js';

describe('WeChat-shaped errors for anything malformed', () => {
  it('answers errors with HTTP 200, errmsg from the table plus a rid, and WeChat content type', async () => {
    const sim = makeSim();
    const res = await sim.get('/cgi-bin/token', { grant_type: 'client_credential', secret: SECRET });
    const body = expectWeChatError(res, 41002);
    expect(body.errmsg.startsWith(`${errmsgFor(41002)} rid: `)).toBe(true);
    const rids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      rids.add((await sim.getJson('/cgi-bin/token', {})).errmsg);
    }
    expect(rids.size).toBe(5);
  });

  it('answers an unknown path with HTTP 404 and a WeChat JSON body', async () => {
    const sim = makeSim();
    expectWeChatError(await sim.get('/cgi-bin/nope'), 40066, 404);
    expectWeChatError(await sim.get('/'), 40066, 404);
    expectWeChatError(await sim.post('/sns/whatever', {}), 40066, 404);
    expectWeChatError(await sim.get('/cgi-bin/token/'), 40066, 404);
  });

  it('answers the wrong method with 43001 (require GET) or 43002 (require POST)', async () => {
    const sim = makeSim();
    expectWeChatError(await sim.post('/cgi-bin/token', {}), 43001);
    expectWeChatError(await sim.post('/cgi-bin/user/info', {}), 43001);
    expectWeChatError(await sim.get('/cgi-bin/stable_token'), 43002);
    expectWeChatError(await sim.get('/cgi-bin/user/info/batchget'), 43002);
    expectWeChatError(await sim.app.inject({ method: 'DELETE', url: '/cgi-bin/token' }), 43001);
  });

  it('answers bad JSON with 47001 and an empty body with 44002', async () => {
    const sim = makeSim();
    const token = await sim.token();
    expectWeChatError(
      await sim.post('/cgi-bin/user/info/batchget', '{"user_list": [', { access_token: token }),
      47001,
    );
    expectWeChatError(await sim.post('/cgi-bin/user/info/batchget', '', { access_token: token }), 44002);
    expectWeChatError(
      await sim.post(
        '/cgi-bin/user/info/batchget',
        'a=1&b=2',
        { access_token: token },
        {
          'content-type': 'application/x-www-form-urlencoded',
        },
      ),
      47001,
    );
  });

  it('refuses a body over 1 MiB with HTTP 413 and a WeChat body, and keeps serving', async () => {
    const sim = makeSim();
    const token = await sim.token();
    const huge = JSON.stringify({ user_list: [], pad: 'x'.repeat(1024 * 1024 + 10) });
    expectWeChatError(
      await sim.post('/cgi-bin/user/info/batchget', huge, { access_token: token }),
      47001,
      413,
    );
    expect(
      (
        await sim.getJson('/cgi-bin/user/info', {
          access_token: token,
          openid: 'oAliceAAAAAAAAAAAAAAAAAAAAAA',
        })
      ).subscribe,
    ).toBe(1);
  });

  it('answers a broken URL encoding without a stack trace', async () => {
    const sim = makeSim();
    const res = await sim.app.inject({ method: 'GET', url: '/cgi-bin/%E0%A4%A' });
    expect(res.statusCode).toBeLessThan(500);
    expect(res.body).not.toMatch(/at .*\.(js|ts):\d+/);
    expect(res.json()).toEqual({ errcode: expect.any(Number), errmsg: expect.any(String) });
  });

  it('accepts the JSON body whatever the content type says (PHP posts JSON as a form)', async () => {
    const sim = makeSim();
    const res = await sim.post(
      '/cgi-bin/stable_token',
      JSON.stringify({ grant_type: 'client_credential', appid: APPID, secret: SECRET }),
      undefined,
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    expect(res.json().expires_in).toBe(7200);
  });

  it('serves HEAD for GET paths', async () => {
    const sim = makeSim();
    const res = await sim.app.inject({ method: 'HEAD', url: '/cgi-bin/token' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });
});
