import { describe, expect, it } from 'vitest';
import { crc32, encodePng } from '../../src/sim/png.js';
import { decodePng } from './support/png.js';
import { expectWeChatError, makeSim } from './support/sim.js';

describe('png encoder', () => {
  it('has the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips pixels', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3]);
    const { width, height, raw } = decodePng(encodePng(2, 2, rgb));
    expect([width, height]).toEqual([2, 2]);
    expect([...raw]).toEqual([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 1, 2, 3]);
  });
});

describe('GET /mmopen/:id/:size', () => {
  it.each([
    [0, 640],
    [46, 46],
    [64, 64],
    [96, 96],
    [132, 132],
  ])('size %i serves a %i-pixel square image/png', async (size, pixels) => {
    const sim = makeSim();
    const res = await sim.app.inject({ method: 'GET', url: `/mmopen/abcDEF123_-/${size}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const png = decodePng(res.rawPayload);
    expect([png.width, png.height]).toEqual([pixels, pixels]);
    expect(png.raw.length).toBe((pixels * 3 + 1) * pixels);
  });

  it('is deterministic per id and differs between ids', async () => {
    const sim = makeSim();
    const a1 = (await sim.app.inject({ method: 'GET', url: '/mmopen/idOne/132' })).rawPayload;
    const a2 = makeSim();
    const again = (await a2.app.inject({ method: 'GET', url: '/mmopen/idOne/132' })).rawPayload;
    const b = (await sim.app.inject({ method: 'GET', url: '/mmopen/idTwo/132' })).rawPayload;
    expect(again.equals(a1)).toBe(true);
    expect(b.equals(a1)).toBe(false);
    expect(sim.state.avatars.size).toBe(2);
  });

  it('answers 404 with a WeChat body for other sizes or ids', async () => {
    const sim = makeSim();
    expectWeChatError(await sim.get('/mmopen/abc/100'), 40066, 404);
    expectWeChatError(await sim.get('/mmopen/abc/0132'), 40066, 404);
    expectWeChatError(await sim.get('/mmopen/a.b/132'), 40066, 404);
  });

  it('is where users without headimgurl point, on the configured baseUrl', async () => {
    const sim = makeSim(undefined, { baseUrl: 'http://sim.example:9100/' });
    const users = await sim.getJson('/__sim/accounts/wxa000000000000001/users');
    const url = new URL(users.users[0].headimgurl);
    expect(url.origin).toBe('http://sim.example:9100');
    expect(url.pathname).toMatch(/^\/mmopen\/[A-Za-z0-9_-]+\/132$/);
    const res = await sim.app.inject({ method: 'GET', url: url.pathname });
    expect(res.headers['content-type']).toBe('image/png');
  });
});
