import { describe, expect, it } from 'vitest';
import { ALICE, APPID, APPID_B, expectWeChatError, makeSim, SECRET, SECRET_B } from './support/sim.js';

const tokenQuery = { grant_type: 'client_credential', appid: APPID, secret: SECRET };
const tokenQueryB = { grant_type: 'client_credential', appid: APPID_B, secret: SECRET_B };

describe('faults', () => {
  it('POST /__sim/faults returns an id; rate 1 injects the errcode every time until deleted', async () => {
    const sim = makeSim();
    const res = await sim.post('/__sim/faults', { path: '/cgi-bin/token', rate: 1, errcode: -1 });
    expect(res.statusCode).toBe(201);
    const { id } = res.json();
    expect(id).toEqual(expect.any(String));
    for (let i = 0; i < 3; i++) expectWeChatError(await sim.get('/cgi-bin/token', tokenQuery), -1);
    const del = await sim.app.inject({ method: 'DELETE', url: `/__sim/faults/${id}` });
    expect(del.json()).toEqual({ deleted: 1 });
    expect((await sim.getJson('/cgi-bin/token', tokenQuery)).expires_in).toBe(7200);
    expect((await sim.app.inject({ method: 'DELETE', url: `/__sim/faults/${id}` })).statusCode).toBe(404);
  });

  it('count: the fault removes itself after that many injections', async () => {
    const sim = makeSim();
    await sim.post('/__sim/faults', { rate: 1, errcode: 45011, count: 2 });
    expectWeChatError(await sim.get('/cgi-bin/token', tokenQuery), 45011);
    expectWeChatError(await sim.get('/cgi-bin/token', tokenQuery), 45011);
    expect((await sim.getJson('/cgi-bin/token', tokenQuery)).expires_in).toBe(7200);
    expect((await sim.getJson('/__sim/faults')).faults).toEqual([]);
  });

  it('rate is a probability', async () => {
    let dice = 0;
    const rolls = [0.1, 0.9, 0.49, 0.51];
    const sim = makeSim(undefined, { random: () => rolls[dice++ % rolls.length]! });
    await sim.post('/__sim/faults', { path: '/cgi-bin/token', rate: 0.5, errcode: -1 });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await sim.getJson('/cgi-bin/token', tokenQuery)).errcode ?? 0);
    expect(codes).toEqual([-1, 0, -1, 0]);

    const real = makeSim();
    await real.post('/__sim/faults', { path: '/cgi-bin/token', rate: 0.5, errcode: -1 });
    let hits = 0;
    for (let i = 0; i < 200; i++)
      if ((await real.getJson('/cgi-bin/token', tokenQuery)).errcode === -1) hits++;
    expect(hits).toBeGreaterThan(50);
    expect(hits).toBeLessThan(150);

    const never = makeSim();
    await never.post('/__sim/faults', { rate: 0, errcode: -1 });
    for (let i = 0; i < 20; i++)
      expect((await never.getJson('/cgi-bin/token', tokenQuery)).expires_in).toBe(7200);
  });

  it('filters by path and by appid (query, body or the token’s account)', async () => {
    const sim = makeSim();
    const tokenA = await sim.token();
    await sim.post('/__sim/faults', { appid: APPID, rate: 1, errcode: 40001, path: '/cgi-bin/user/info' });
    await sim.post('/__sim/faults', { appid: APPID_B, rate: 1, errcode: -1, path: '/cgi-bin/stable_token' });
    expectWeChatError(
      await sim.get('/cgi-bin/user/info', { access_token: tokenA, openid: ALICE.openid! }),
      40001,
    );
    expect((await sim.getJson('/cgi-bin/ticket/getticket', { access_token: tokenA })).errcode).toBe(0);
    expect((await sim.getJson('/cgi-bin/token', tokenQueryB)).expires_in).toBe(7200);
    const stableBody = (appid: string, secret: string) => ({
      grant_type: 'client_credential',
      appid,
      secret,
    });
    expectWeChatError(await sim.post('/cgi-bin/stable_token', stableBody(APPID_B, SECRET_B)), -1);
    expect((await sim.postJson('/cgi-bin/stable_token', stableBody(APPID, SECRET))).expires_in).toBe(7200);
  });

  it('answers a raw body with httpStatus (a gateway’s HTML page)', async () => {
    const sim = makeSim();
    const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    await sim.post('/__sim/faults', { rate: 1, httpStatus: 502, body: html, count: 1 });
    const res = await sim.get('/cgi-bin/token', tokenQuery);
    expect(res.statusCode).toBe(502);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toBe(html);
  });

  it('httpStatus alone answers an empty body; errcode with httpStatus keeps the WeChat body', async () => {
    const sim = makeSim();
    await sim.post('/__sim/faults', { rate: 1, httpStatus: 503, count: 1 });
    const empty = await sim.get('/cgi-bin/token', tokenQuery);
    expect(empty.statusCode).toBe(503);
    expect(empty.body).toBe('');
    await sim.post('/__sim/faults', { rate: 1, httpStatus: 500, errcode: -1, count: 1 });
    expectWeChatError(await sim.get('/cgi-bin/token', tokenQuery), -1, 500);
  });

  it('delayMs waits (real time) then handles the call normally', async () => {
    const sim = makeSim();
    await sim.post('/__sim/faults', { rate: 1, delayMs: 150, path: '/cgi-bin/token', count: 1 });
    const started = performance.now();
    const res = await sim.getJson('/cgi-bin/token', tokenQuery);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.expires_in).toBe(7200);
  });

  it('delayMs with errcode waits, then answers the error', async () => {
    const sim = makeSim();
    await sim.post('/__sim/faults', { rate: 1, delayMs: 100, errcode: -1, count: 1 });
    const started = performance.now();
    expectWeChatError(await sim.get('/cgi-bin/token', tokenQuery), -1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('applies to the authorize page too, never to the control plane', async () => {
    const sim = makeSim();
    await sim.post('/__sim/faults', { rate: 1, errcode: -1 });
    expect((await sim.get('/__sim/stats')).statusCode).toBe(200);
    expectWeChatError(await sim.get('/connect/oauth2/authorize', { appid: APPID }), -1);
  });

  it('injected errors appear in the stats; DELETE /__sim/faults removes them all', async () => {
    const sim = makeSim();
    await sim.post('/__sim/faults', { rate: 1, errcode: -1, path: '/cgi-bin/token' });
    await sim.post('/__sim/faults', { rate: 1, errcode: 45009, path: '/cgi-bin/stable_token' });
    await sim.get('/cgi-bin/token', tokenQuery);
    const stats = await sim.getJson('/__sim/stats');
    expect(stats.calls['/cgi-bin/token']).toBe(1);
    expect(stats.errors['-1']).toBe(1);
    expect((await sim.app.inject({ method: 'DELETE', url: '/__sim/faults' })).json()).toEqual({ deleted: 2 });
    expect((await sim.getJson('/cgi-bin/token', tokenQuery)).expires_in).toBe(7200);
  });

  it('validates fault specs', async () => {
    const sim = makeSim();
    const bad = await sim.post('/__sim/faults', { rate: 2 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('rate');
    expect((await sim.post('/__sim/faults', { errcode: 1 })).json().message).toContain('rate');
    expect((await sim.post('/__sim/faults', { rate: 1, path: 'cgi-bin/token' })).json().message).toContain(
      'path',
    );
  });
});
