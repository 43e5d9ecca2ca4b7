import { describe, expect, it } from 'vitest';
import { configureServer, originalIdOf, pushes, TOKEN } from '../support/push.js';
import { answer, startReceiver } from '../support/receiver.js';
import { ALICE, APPID, BOB, makeSim, START } from '../support/sim.js';
import { sha1Sorted, textReply, xmlField, xmlFieldNames } from '../support/wechat-crypto.js';

const ALICE_ID = ALICE.openid!;
const BOB_ID = BOB.openid!;
const NOW = String(START / 1000);
const messages = (openid = ALICE_ID) => `/__sim/accounts/${APPID}/users/${openid}/messages`;
const events = (openid = ALICE_ID) => `/__sim/accounts/${APPID}/users/${openid}/events`;

async function setup() {
  const sim = makeSim();
  const receiver = await startReceiver();
  await configureServer(sim, receiver, 'plain');
  return { sim, receiver, gh: await originalIdOf(sim) };
}

describe('message pushes (plaintext mode)', () => {
  it("posts WeChat's exact text layout, signed, with the openid in the query", async () => {
    const { sim, receiver, gh } = await setup();
    expect(gh).toMatch(/^gh_[0-9a-f]{12}$/);
    const res = await sim.post(messages(), { msgType: 'text', content: '你好 ]]> <b>' });
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json();
    expect(out).toMatchObject({
      attempts: 1,
      delivered: true,
      reply: null,
      userSees: null,
      createTime: Number(NOW),
    });
    expect(out.msgId).toMatch(/^\d{19}$/);
    expect(BigInt(out.msgId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const [push] = pushes(receiver);
    expect(push!.path).toBe('/wx');
    expect(push!.headers['content-type']).toBe('text/xml');
    expect(push!.queryOrder).toEqual(['signature', 'timestamp', 'nonce', 'openid']);
    const q = push!.query;
    expect(q.get('openid')).toBe(ALICE_ID);
    expect(q.get('signature')).toBe(sha1Sorted(TOKEN, q.get('timestamp')!, q.get('nonce')!));
    expect(push!.body).toBe(
      `<xml><ToUserName><![CDATA[${gh}]]></ToUserName>\n<FromUserName><![CDATA[${ALICE_ID}]]></FromUserName>\n` +
        `<CreateTime>${NOW}</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n` +
        '<Content><![CDATA[你好 ]]]]><![CDATA[> <b>]]></Content>\n' +
        `<MsgId>${out.msgId}</MsgId>\n</xml>`,
    );
    expect(out.xml).toBe(push!.body);
  });

  it('lays out every message type with its fields in order, strings in CDATA and numbers bare', async () => {
    const { sim, receiver } = await setup();
    const cases: Array<[Record<string, unknown>, string[], Record<string, string>]> = [
      [
        { msgType: 'image', picUrl: 'http://mmbiz.qpic.cn/x/0', mediaId: 'm1' },
        ['PicUrl', 'MediaId', 'MsgId'],
        { PicUrl: 'http://mmbiz.qpic.cn/x/0', MediaId: 'm1' },
      ],
      [
        { msgType: 'voice', mediaId: 'v1', format: 'speex', recognition: '腾讯微信团队' },
        ['MediaId', 'Format', 'Recognition', 'MsgId'],
        { Format: 'speex', Recognition: '腾讯微信团队' },
      ],
      [{ msgType: 'voice' }, ['MediaId', 'Format', 'MsgId'], { Format: 'amr' }],
      [
        { msgType: 'video', mediaId: 'v', thumbMediaId: 't' },
        ['MediaId', 'ThumbMediaId', 'MsgId'],
        { ThumbMediaId: 't' },
      ],
      [{ msgType: 'shortvideo' }, ['MediaId', 'ThumbMediaId', 'MsgId'], {}],
      [
        { msgType: 'location', locationX: 23.134521, locationY: 113.358803, scale: 20, label: '位置信息' },
        ['Location_X', 'Location_Y', 'Scale', 'Label', 'MsgId'],
        { Location_X: '23.134521', Location_Y: '113.358803', Scale: '20', Label: '位置信息' },
      ],
      [
        { msgType: 'link', title: '公众平台官网链接', description: 'd', url: 'https://mp.weixin.qq.com/' },
        ['Title', 'Description', 'Url', 'MsgId'],
        { Title: '公众平台官网链接', Url: 'https://mp.weixin.qq.com/' },
      ],
      [
        { msgType: 'text', content: 'from an article', msgId: '123', msgDataId: '2247483650', idx: 1 },
        ['Content', 'MsgId', 'MsgDataId', 'Idx'],
        { MsgId: '123', MsgDataId: '2247483650', Idx: '1' },
      ],
    ];
    for (const [input, names, values] of cases) {
      const res = await sim.post(messages(), input);
      expect(res.statusCode, res.body).toBe(200);
      const body = pushes(receiver).at(-1)!.body;
      expect(xmlFieldNames(body)).toEqual(['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', ...names]);
      expect(xmlField(body, 'MsgType')).toBe(input.msgType);
      for (const [name, value] of Object.entries(values)) expect(xmlField(body, name), name).toBe(value);
      // Strings in CDATA, numbers bare.
      expect(body).toMatch(/<CreateTime>\d+<\/CreateTime>/);
      expect(body).toMatch(/<MsgId>\d+<\/MsgId>/);
      expect(body).not.toMatch(/<MsgType>[^<]/);
    }
    const location = pushes(receiver)[5]!.body;
    expect(location).toContain('<Location_X>23.134521</Location_X>');
    expect(location).toContain('<Scale>20</Scale>');
    expect(location).toContain('<Label><![CDATA[位置信息]]></Label>');
  });

  it('refuses bodies that do not fit the message type, naming the field', async () => {
    const { sim, receiver } = await setup();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ msgType: 'text' }, 'content: required for text'],
      [{ msgType: 'text', content: 'x', mediaId: 'm' }, 'mediaId: not a field of text'],
      [{ msgType: 'location', locationX: 1 }, 'locationY: required for location'],
      [{ msgType: 'link', title: 't' }, 'url: required for link'],
      [{ msgType: 'sticker' }, 'msgType'],
      [{ msgType: 'text', content: 'x', msgId: '12a' }, 'msgId'],
      [{ msgType: 'text', content: 'x', timeoutMs: 0 }, 'timeoutMs'],
    ];
    for (const [input, message] of cases) {
      const res = await sim.post(messages(), input);
      expect(res.statusCode, JSON.stringify(input)).toBe(400);
      expect(res.json().message).toContain(message);
    }
    expect(pushes(receiver)).toHaveLength(0);
  });

  it('records a valid reply in the inbox and answers it decoded; success and empty mean no reply', async () => {
    const { sim, receiver, gh } = await setup();
    receiver.next(
      answer(200, textReply(ALICE_ID, gh, '收到 &amp; 谢谢')),
      answer(200, 'success'),
      answer(200, ''),
    );
    const first = (await sim.post(messages(), { msgType: 'text', content: 'hi' })).json();
    expect(first.reply).toMatchObject({
      msgType: 'text',
      fields: { Content: '收到 &amp; 谢谢', ToUserName: ALICE_ID },
    });
    expect(first.reply.xml).toContain('<Content>');
    expect((await sim.post(messages(), { msgType: 'text', content: 'a' })).json().reply).toBeNull();
    expect((await sim.post(messages(), { msgType: 'text', content: 'b' })).json().reply).toBeNull();
    const inbox = await sim.getJson(`/__sim/accounts/${APPID}/users/${ALICE_ID}/inbox`);
    expect(inbox.messages).toEqual([
      {
        seq: 1,
        at: START,
        source: 'reply',
        msgType: 'text',
        content: '收到 &amp; 谢谢',
        payload: expect.objectContaining({ MsgType: 'text', FromUserName: gh }),
      },
    ]);
  });

  it('refuses pushes from users who do not follow, unknown users and accounts without a server', async () => {
    const { sim } = await setup();
    const bob = await sim.post(messages(BOB_ID), { msgType: 'text', content: 'hi' });
    expect(bob.statusCode).toBe(409);
    expect(bob.json().error).toBe('not_following');
    expect((await sim.post(messages('oNobody'), { msgType: 'text', content: 'hi' })).statusCode).toBe(404);
    const bare = makeSim();
    const res = await bare.post(messages(), { msgType: 'text', content: 'hi' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'no_server' });
  });
});

describe('event pushes (plaintext mode)', () => {
  it('lays out every event as WeChat does; events carry no MsgId', async () => {
    const { sim, receiver, gh } = await setup();
    const cases: Array<[Record<string, unknown>, Array<[string, string]>]> = [
      [{ event: 'CLICK', eventKey: 'V1001_TODAY_MUSIC' }, [['EventKey', '<![CDATA[V1001_TODAY_MUSIC]]>']]],
      [
        { event: 'VIEW', eventKey: 'https://www.qq.com/', menuId: '123' },
        [
          ['EventKey', '<![CDATA[https://www.qq.com/]]>'],
          ['MenuId', '123'],
        ],
      ],
      [
        { event: 'LOCATION', latitude: 23.137466, longitude: 113.352425, precision: 119.38504 },
        [
          ['Latitude', '23.137466'],
          ['Longitude', '113.352425'],
          ['Precision', '119.385040'],
        ],
      ],
      [
        { event: 'SCAN', eventKey: '123123', ticket: 'TICKET' },
        [
          ['EventKey', '<![CDATA[123123]]>'],
          ['Ticket', '<![CDATA[TICKET]]>'],
        ],
      ],
      [
        { event: 'TEMPLATESENDJOBFINISH', msgId: '200163836', status: 'failed:user block' },
        [
          ['MsgID', '200163836'],
          ['Status', '<![CDATA[failed:user block]]>'],
        ],
      ],
    ];
    for (const [input, tail] of cases) {
      const res = await sim.post(events(), { ...input, createTime: 1700000000 });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).not.toHaveProperty('msgId');
      const expected =
        `<xml><ToUserName><![CDATA[${gh}]]></ToUserName>\n<FromUserName><![CDATA[${ALICE_ID}]]></FromUserName>\n` +
        '<CreateTime>1700000000</CreateTime>\n<MsgType><![CDATA[event]]></MsgType>\n' +
        `<Event><![CDATA[${input.event}]]></Event>\n${tail.map(([n, v]) => `<${n}>${v}</${n}>`).join('\n')}\n</xml>`;
      expect(pushes(receiver).at(-1)!.body).toBe(expected);
    }
  });

  it('unsubscribe and subscribe change the follow state, subscribe_time and the scene', async () => {
    const { sim, receiver } = await setup();
    const token = await sim.token();
    const info = () => sim.getJson('/cgi-bin/user/info', { access_token: token, openid: ALICE_ID });
    const unsub = await sim.post(events(), { event: 'unsubscribe' });
    expect(unsub.statusCode, unsub.body).toBe(200);
    expect(xmlFieldNames(pushes(receiver)[0]!.body)).toEqual([
      'ToUserName',
      'FromUserName',
      'CreateTime',
      'MsgType',
      'Event',
    ]);
    expect(await info()).toEqual({ subscribe: 0, openid: ALICE_ID });
    const list = await sim.getJson('/cgi-bin/user/get', { access_token: token });
    expect(list.total).toBe(0);
    expect((await sim.post(events(), { event: 'CLICK', eventKey: 'K' })).statusCode).toBe(409);
    await sim.advance(3600);
    const sub = await sim.post(events(), { event: 'subscribe', eventKey: 'qrscene_42', ticket: 'T' });
    expect(sub.statusCode, sub.body).toBe(200);
    expect(await info()).toMatchObject({
      subscribe: 1,
      subscribe_time: START / 1000 + 3600,
      subscribe_scene: 'ADD_SCENE_QR_CODE',
      qr_scene: 42,
    });
    expect((await sim.post(events(), { event: 'subscribe' })).json().error).toBe('already_following');
    // Bob subscribes without a QR code: a plain follow, no EventKey.
    expect((await sim.post(events(BOB_ID), { event: 'subscribe' })).statusCode).toBe(200);
    expect(xmlFieldNames(pushes(receiver).at(-1)!.body)).not.toContain('EventKey');
    expect(
      (await sim.getJson('/cgi-bin/user/info', { access_token: token, openid: BOB_ID })).subscribe_scene,
    ).toBe('ADD_SCENE_SEARCH');
  });

  it('refuses event bodies that do not fit the event', async () => {
    const { sim } = await setup();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ event: 'CLICK' }, 'eventKey: required for CLICK'],
      [{ event: 'LOCATION', latitude: 1 }, 'longitude: required for LOCATION'],
      [{ event: 'subscribe', eventKey: '42' }, 'qrscene_'],
      [{ event: 'unsubscribe', eventKey: 'x' }, 'eventKey: not a field of unsubscribe'],
      [{ event: 'click', eventKey: 'x' }, 'event'],
    ];
    for (const [input, message] of cases) {
      const res = await sim.post(events(), input);
      expect(res.statusCode, JSON.stringify(input)).toBe(400);
      expect(res.json().message).toContain(message);
    }
  });
});
