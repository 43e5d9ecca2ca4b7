import decodeQR from 'qr/decode.js';
import { describe, expect, it } from 'vitest';
import { pngPixels } from '../support/png.js';
import { configureServer, originalIdOf, pushes } from '../support/push.js';
import { startReceiver } from '../support/receiver.js';
import { ALICE, BOB, expectWeChatError, makeSim, START } from '../support/sim.js';
import { xmlField, xmlFieldNames } from '../support/wechat-crypto.js';

const ALICE_ID = ALICE.openid!;
const BOB_ID = BOB.openid!;

async function create(sim: ReturnType<typeof makeSim>, token: string, body: unknown) {
  return sim.post('/cgi-bin/qrcode/create', body, { access_token: token });
}

describe('POST /cgi-bin/qrcode/create', () => {
  it('creates temporary codes (default 60 s, at most 30 days) and permanent ones (same scene, same ticket)', async () => {
    const sim = makeSim();
    const token = await sim.token();
    const temp = (
      await create(sim, token, { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 123 } } })
    ).json();
    expect(temp).toEqual({
      ticket: expect.stringMatching(/^gQ[A-Za-z0-9+/]+=*$/),
      expire_seconds: 60,
      url: expect.stringMatching(/^http:\/\/weixin\.qq\.com\/q\/[A-Za-z0-9_-]{22}$/),
    });
    const long = (
      await create(sim, token, {
        expire_seconds: 9_999_999,
        action_name: 'QR_STR_SCENE',
        action_info: { scene: { scene_str: 'login:abc' } },
      })
    ).json();
    expect(long.expire_seconds).toBe(2_592_000);
    const again = (
      await create(sim, token, { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 123 } } })
    ).json();
    expect(again.ticket).not.toBe(temp.ticket);
    const permanent = (
      await create(sim, token, {
        action_name: 'QR_LIMIT_STR_SCENE',
        action_info: { scene: { scene_str: 'shop' } },
      })
    ).json();
    expect(permanent).toEqual({ ticket: expect.any(String), url: expect.any(String) });
    const same = (
      await create(sim, token, {
        action_name: 'QR_LIMIT_STR_SCENE',
        action_info: { scene: { scene_str: 'shop' } },
      })
    ).json();
    expect(same).toEqual(permanent);
  });

  it('answers WeChat errors: 40052 action name, 40053 action info, 40097 expire_seconds, token errors', async () => {
    const sim = makeSim();
    const token = await sim.token();
    const cases: Array<[unknown, number]> = [
      [{ action_name: 'QR_TEMP', action_info: { scene: { scene_id: 1 } } }, 40052],
      [{ action_info: { scene: { scene_id: 1 } } }, 40052],
      [{ action_name: 'QR_SCENE', action_info: { scene_id: 1 } }, 40053],
      [{ action_name: 'QR_SCENE', action_info: { scene: { scene_id: 0 } } }, 40053],
      [{ action_name: 'QR_SCENE', action_info: { scene: { scene_id: 2 ** 32 } } }, 40053],
      [{ action_name: 'QR_SCENE', action_info: { scene: { scene_id: '7' } } }, 40053],
      [{ action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 100_001 } } }, 40053],
      [{ action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: '' } } }, 40053],
      [{ action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: 'x'.repeat(65) } } }, 40053],
      [{ action_name: 'QR_STR_SCENE', action_info: { scene: { scene_id: 5 } } }, 40053],
      [{ expire_seconds: 0, action_name: 'QR_SCENE', action_info: { scene: { scene_id: 1 } } }, 40097],
      [{ expire_seconds: 1.5, action_name: 'QR_SCENE', action_info: { scene: { scene_id: 1 } } }, 40097],
      ['not json', 47001],
    ];
    for (const [body, errcode] of cases) expectWeChatError(await create(sim, token, body), errcode);
    expectWeChatError(await sim.post('/cgi-bin/qrcode/create', {}), 41001);
    expectWeChatError(await sim.post('/cgi-bin/qrcode/create', '', { access_token: token }), 44002);
    expectWeChatError(await sim.get('/cgi-bin/qrcode/create', { access_token: token }), 43002);
    const limit = await create(sim, token, {
      action_name: 'QR_LIMIT_SCENE',
      action_info: { scene: { scene_id: 100_000 } },
    });
    expect(limit.json().ticket).toEqual(expect.any(String));
  });
});

describe('GET /cgi-bin/showqrcode', () => {
  it('serves a PNG that scans to the code url; the ticket must be URL-encoded', async () => {
    const sim = makeSim();
    const token = await sim.token();
    const code = (
      await create(sim, token, { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 9 } } })
    ).json();
    const res = await sim.app.inject({
      url: `/cgi-bin/showqrcode?ticket=${encodeURIComponent(code.ticket)}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const image = pngPixels(res.rawPayload);
    expect(image.width).toBeGreaterThanOrEqual(300);
    expect(decodeQR(image)).toBe(code.url);
    // A ticket pasted into the query unencoded: its '+' reads as a space, and WeChat answers 404.
    let plus = code.ticket as string;
    for (let i = 0; i < 30 && !plus.includes('+'); i++) {
      plus = (
        await create(sim, token, { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 9 } } })
      ).json().ticket;
    }
    expect(plus).toContain('+');
    expect((await sim.app.inject({ url: `/cgi-bin/showqrcode?ticket=${plus}` })).statusCode).toBe(404);
    expect((await sim.get('/cgi-bin/showqrcode', { ticket: plus })).statusCode).toBe(200);
    expect((await sim.get('/cgi-bin/showqrcode', { ticket: 'gQnope' })).statusCode).toBe(404);
    expect((await sim.get('/cgi-bin/showqrcode')).statusCode).toBe(404);
  });

  it('stops serving a temporary code when it expires (virtual clock); permanent codes stay', async () => {
    const sim = makeSim();
    const token = await sim.token();
    const temp = (
      await create(sim, token, {
        expire_seconds: 300,
        action_name: 'QR_SCENE',
        action_info: { scene: { scene_id: 1 } },
      })
    ).json();
    const forever = (
      await create(sim, token, { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 1 } } })
    ).json();
    await sim.advance(299);
    expect((await sim.get('/cgi-bin/showqrcode', { ticket: temp.ticket })).statusCode).toBe(200);
    await sim.advance(1);
    expect((await sim.get('/cgi-bin/showqrcode', { ticket: temp.ticket })).statusCode).toBe(404);
    await sim.advance(365 * 86_400);
    expect((await sim.get('/cgi-bin/showqrcode', { ticket: forever.ticket })).statusCode).toBe(200);
  });
});

describe('POST /__sim/qrcodes/:ticket/scan', () => {
  async function setup() {
    const sim = makeSim();
    const receiver = await startReceiver();
    await configureServer(sim, receiver, 'plain');
    const token = await sim.token();
    return { sim, receiver, token, gh: await originalIdOf(sim) };
  }
  const scan = (sim: ReturnType<typeof makeSim>, ticket: string, openid: string) =>
    sim.post(`/__sim/qrcodes/${encodeURIComponent(ticket)}/scan`, { openid });

  it('a non-follower scanning follows: subscribe with qrscene_ + scene and the Ticket', async () => {
    const { sim, receiver, token, gh } = await setup();
    const code = (
      await create(sim, token, { action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: '007' } } })
    ).json();
    const res = await scan(sim, code.ticket, BOB_ID);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ event: 'subscribe', attempts: 1, delivered: true });
    const body = pushes(receiver)[0]!.body;
    expect(xmlFieldNames(body)).toEqual([
      'ToUserName',
      'FromUserName',
      'CreateTime',
      'MsgType',
      'Event',
      'EventKey',
      'Ticket',
    ]);
    expect([xmlField(body, 'ToUserName'), xmlField(body, 'FromUserName')]).toEqual([gh, BOB_ID]);
    expect([xmlField(body, 'Event'), xmlField(body, 'EventKey'), xmlField(body, 'Ticket')]).toEqual([
      'subscribe',
      'qrscene_007',
      code.ticket,
    ]);
    const info = await sim.getJson('/cgi-bin/user/info', { access_token: token, openid: BOB_ID });
    expect(info).toMatchObject({
      subscribe: 1,
      subscribe_time: START / 1000,
      subscribe_scene: 'ADD_SCENE_QR_CODE',
      qr_scene: 0,
      qr_scene_str: '007',
    });
  });

  it('a follower scanning gets SCAN with the bare scene', async () => {
    const { sim, receiver, token } = await setup();
    const code = (
      await create(sim, token, { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 77 } } })
    ).json();
    const out = (await scan(sim, code.ticket, ALICE_ID)).json();
    expect(out.event).toBe('SCAN');
    const body = pushes(receiver)[0]!.body;
    expect([xmlField(body, 'Event'), xmlField(body, 'EventKey'), xmlField(body, 'Ticket')]).toEqual([
      'SCAN',
      '77',
      code.ticket,
    ]);
    // Scanning does not change how (or when) the follower followed.
    const info = await sim.getJson('/cgi-bin/user/info', { access_token: token, openid: ALICE_ID });
    expect(info.subscribe_scene).toBe('ADD_SCENE_SEARCH');
  });

  it('refuses expired (410) and unknown (404) tickets, unknown users (404), accounts without a server (409)', async () => {
    const { sim, receiver, token } = await setup();
    const code = (
      await create(sim, token, {
        expire_seconds: 60,
        action_name: 'QR_SCENE',
        action_info: { scene: { scene_id: 5 } },
      })
    ).json();
    expect((await scan(sim, code.ticket, 'oNobody')).statusCode).toBe(404);
    expect((await scan(sim, 'gQunknown', ALICE_ID)).statusCode).toBe(404);
    await sim.advance(60);
    const expired = await scan(sim, code.ticket, ALICE_ID);
    expect(expired.statusCode).toBe(410);
    expect(expired.json().error).toBe('expired');
    expect(pushes(receiver)).toHaveLength(0);
    const bare = makeSim();
    const bareToken = await bare.token();
    const other = (
      await create(bare, bareToken, { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 5 } } })
    ).json();
    expect((await scan(bare, other.ticket, ALICE_ID)).statusCode).toBe(409);
  });
});
