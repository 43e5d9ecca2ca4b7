import { describe, expect, it } from 'vitest';
import { AES_KEY, configureServer, originalIdOf, pushes, TOKEN } from '../support/push.js';
import { answer, type Received, startReceiver } from '../support/receiver.js';
import { ALICE, APPID, makeSim } from '../support/sim.js';
import {
  encryptedReply,
  receiverDecrypt,
  sha1Sorted,
  textReply,
  xmlField,
  xmlFieldNames,
} from '../support/wechat-crypto.js';

const ALICE_ID = ALICE.openid!;
const messages = `/__sim/accounts/${APPID}/users/${ALICE_ID}/messages`;
const events = `/__sim/accounts/${APPID}/users/${ALICE_ID}/events`;

async function setup(mode: 'compatible' | 'safe') {
  const sim = makeSim();
  const receiver = await startReceiver();
  await configureServer(sim, receiver, mode);
  return { sim, receiver, gh: await originalIdOf(sim) };
}

/** What a correct receiver checks: both signatures, then the decrypted message and appid. */
function openPush(push: Received): { xml: string; appid: string } {
  const q = push.query;
  const encrypt = xmlField(push.body, 'Encrypt')!;
  expect(q.get('encrypt_type')).toBe('aes');
  expect(q.get('signature')).toBe(sha1Sorted(TOKEN, q.get('timestamp')!, q.get('nonce')!));
  expect(q.get('msg_signature')).toBe(sha1Sorted(TOKEN, q.get('timestamp')!, q.get('nonce')!, encrypt));
  const opened = receiverDecrypt(encrypt, AES_KEY);
  expect(opened.random.toString('latin1')).toMatch(/^[0-9a-f]{16}$/);
  return { xml: opened.xml, appid: opened.appid };
}

describe('safe mode (安全模式)', () => {
  it('posts only ToUserName and Encrypt; the plaintext inside is the full message with the appid', async () => {
    const { sim, receiver, gh } = await setup('safe');
    const out = (await sim.post(messages, { msgType: 'text', content: '机密' })).json();
    const [push] = pushes(receiver);
    expect(push!.queryOrder).toEqual([
      'signature',
      'timestamp',
      'nonce',
      'openid',
      'encrypt_type',
      'msg_signature',
    ]);
    expect(push!.body).toMatch(
      new RegExp(
        `^<xml><ToUserName><!\\[CDATA\\[${gh}\\]\\]></ToUserName>\\n<Encrypt><!\\[CDATA\\[[A-Za-z0-9+/=]+\\]\\]></Encrypt>\\n</xml>$`,
      ),
    );
    const opened = openPush(push!);
    expect(opened.appid).toBe(APPID);
    expect(opened.xml).toBe(out.xml);
    expect(xmlField(opened.xml, 'Content')).toBe('机密');
    expect(xmlField(opened.xml, 'MsgId')).toBe(out.msgId);
    expect(push!.body).not.toContain('机密');
  });

  it('takes an encrypted reply with a valid MsgSignature, decrypts it and delivers it to the inbox', async () => {
    const { sim, receiver, gh } = await setup('safe');
    receiver.next(
      answer(
        200,
        encryptedReply(textReply(ALICE_ID, gh, '已加密的回复'), {
          appid: APPID,
          token: TOKEN,
          encodingAESKey: AES_KEY,
        }),
      ),
    );
    const out = (await sim.post(messages, { msgType: 'text', content: 'hi' })).json();
    expect(out).toMatchObject({
      delivered: true,
      userSees: null,
      reply: { msgType: 'text', fields: { Content: '已加密的回复' } },
    });
    expect(out.reply.xml).toBe(textReply(ALICE_ID, gh, '已加密的回复'));
    const inbox = await sim.getJson(`/__sim/accounts/${APPID}/users/${ALICE_ID}/inbox`);
    expect(inbox.messages.map((m: { content: string }) => m.content)).toEqual(['已加密的回复']);
  });

  it('refuses a forged or mis-addressed encrypted reply, and a plaintext one: the user sees the error', async () => {
    const { sim, receiver, gh } = await setup('safe');
    const good = (content: string, extra: Partial<{ appid: string; token: string }> = {}) =>
      encryptedReply(textReply(ALICE_ID, gh, content), {
        appid: APPID,
        token: TOKEN,
        encodingAESKey: AES_KEY,
        ...extra,
      });
    const cases: Array<[string, RegExp]> = [
      [
        good('forged').replace(/<MsgSignature><!\[CDATA\[[0-9a-f]/, '<MsgSignature><![CDATA[x'),
        /MsgSignature does not match/,
      ],
      [good('other token', { token: 'someoneElse' }), /MsgSignature does not match/],
      [good('other app', { appid: 'wxother' }), /names appid "wxother"/],
      [textReply(ALICE_ID, gh, 'plain'), /safe mode takes only encrypted replies/],
      [good('x').replace(/<Nonce>.*<\/Nonce>/, ''), /needs Encrypt, MsgSignature, TimeStamp and Nonce/],
    ];
    for (const [body, reason] of cases) {
      receiver.next(answer(200, body));
      const out = (await sim.post(messages, { msgType: 'text', content: 'hi' })).json();
      expect(out.attempts).toBe(1);
      expect(out.reply).toEqual({ invalid: true, reason: expect.stringMatching(reason), raw: body });
      expect(out.userSees).toBe('该公众号暂时无法提供服务，请稍后再试');
    }
    expect((await sim.getJson(`/__sim/accounts/${APPID}/users/${ALICE_ID}/inbox`)).messages).toEqual([]);
  });

  it('encrypts events too', async () => {
    const { sim, receiver } = await setup('safe');
    await sim.post(events, { event: 'CLICK', eventKey: 'MENU_1' });
    const opened = openPush(pushes(receiver)[0]!);
    expect(xmlField(opened.xml, 'Event')).toBe('CLICK');
    expect(xmlField(opened.xml, 'EventKey')).toBe('MENU_1');
  });
});

describe('compatible mode (兼容模式)', () => {
  it('posts the plaintext fields and then Encrypt, which holds the same message', async () => {
    const { sim, receiver } = await setup('compatible');
    const out = (await sim.post(messages, { msgType: 'image', mediaId: 'MEDIA' })).json();
    const [push] = pushes(receiver);
    expect(xmlFieldNames(push!.body)).toEqual([
      'ToUserName',
      'FromUserName',
      'CreateTime',
      'MsgType',
      'PicUrl',
      'MediaId',
      'MsgId',
      'Encrypt',
    ]);
    expect(xmlField(push!.body, 'MediaId')).toBe('MEDIA');
    const opened = openPush(push!);
    expect(opened.xml).toBe(out.xml);
    expect(push!.body.replace(/\n<Encrypt>.*<\/Encrypt>/, '')).toBe(out.xml);
  });

  it('takes a plaintext reply or an encrypted one', async () => {
    const { sim, receiver, gh } = await setup('compatible');
    receiver.next(
      answer(200, textReply(ALICE_ID, gh, 'plain reply')),
      answer(
        200,
        encryptedReply(textReply(ALICE_ID, gh, 'sealed reply'), {
          appid: APPID,
          token: TOKEN,
          encodingAESKey: AES_KEY,
        }),
      ),
    );
    for (const expected of ['plain reply', 'sealed reply']) {
      const out = (await sim.post(messages, { msgType: 'text', content: 'hi' })).json();
      expect(out.reply?.fields?.Content, JSON.stringify(out)).toBe(expected);
    }
  });
});

describe('plaintext mode replies', () => {
  it('refuses an encrypted reply and replies that do not address the user from the account', async () => {
    const sim = makeSim();
    const receiver = await startReceiver();
    await configureServer(sim, receiver, 'plain');
    const gh = await originalIdOf(sim);
    const cases: Array<[string, RegExp]> = [
      [
        encryptedReply(textReply(ALICE_ID, gh, 'x'), { appid: APPID, token: TOKEN, encodingAESKey: AES_KEY }),
        /plaintext mode/,
      ],
      [textReply('oSomeoneElse', gh, 'x'), /ToUserName "oSomeoneElse" is not the user/],
      [textReply(ALICE_ID, 'gh_000000000000', 'x'), /FromUserName "gh_000000000000"/],
      [textReply(ALICE_ID, gh, ''), /a text reply needs a Content/],
      [textReply(ALICE_ID, gh, 'x').replace('text', 'sticker'), /MsgType "sticker" is not a reply type/],
      [textReply(ALICE_ID, gh, 'x').replace('</xml>', ''), /not well-formed XML/],
      ['<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "b">]><xml>&a;</xml>', /DOCTYPE/],
      ['ok', /not well-formed XML|single <xml>/],
      ['<html><body>502</body></html>', /single <xml>/],
    ];
    for (const [body, reason] of cases) {
      receiver.next(answer(200, body));
      const out = (await sim.post(messages, { msgType: 'text', content: 'hi' })).json();
      expect(out.reply, body).toEqual({ invalid: true, reason: expect.stringMatching(reason), raw: body });
    }
  });

  it('checks each reply type has its content (image, voice, video, music, news, transfer)', async () => {
    const sim = makeSim();
    const receiver = await startReceiver();
    await configureServer(sim, receiver, 'plain');
    const gh = await originalIdOf(sim);
    const head = `<xml><ToUserName><![CDATA[${ALICE_ID}]]></ToUserName><FromUserName><![CDATA[${gh}]]></FromUserName><CreateTime>1</CreateTime>`;
    const article =
      '<item><Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description><PicUrl><![CDATA[p]]></PicUrl><Url><![CDATA[u]]></Url></item>';
    const cases: Array<[string, boolean]> = [
      ['<MsgType><![CDATA[image]]></MsgType><Image><MediaId><![CDATA[m]]></MediaId></Image>', true],
      ['<MsgType><![CDATA[image]]></MsgType>', false],
      ['<MsgType><![CDATA[voice]]></MsgType><Voice><MediaId><![CDATA[m]]></MediaId></Voice>', true],
      [
        '<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[m]]></MediaId><Title><![CDATA[t]]></Title></Video>',
        true,
      ],
      [
        '<MsgType><![CDATA[music]]></MsgType><Music><Title><![CDATA[t]]></Title><ThumbMediaId><![CDATA[m]]></ThumbMediaId></Music>',
        true,
      ],
      ['<MsgType><![CDATA[music]]></MsgType><Music><Title><![CDATA[t]]></Title></Music>', false],
      [
        `<MsgType><![CDATA[news]]></MsgType><ArticleCount>2</ArticleCount><Articles>${article}${article}</Articles>`,
        true,
      ],
      [
        `<MsgType><![CDATA[news]]></MsgType><ArticleCount>3</ArticleCount><Articles>${article}${article}</Articles>`,
        false,
      ],
      [
        `<MsgType><![CDATA[news]]></MsgType><ArticleCount>9</ArticleCount><Articles>${article.repeat(9)}</Articles>`,
        false,
      ],
      ['<MsgType><![CDATA[transfer_customer_service]]></MsgType>', true],
    ];
    for (const [tail, valid] of cases) {
      receiver.next(answer(200, `${head}${tail}</xml>`));
      const out = (await sim.post(messages, { msgType: 'text', content: 'hi' })).json();
      expect('invalid' in (out.reply ?? {}), tail).toBe(!valid);
    }
    const inbox = await sim.getJson(`/__sim/accounts/${APPID}/users/${ALICE_ID}/inbox`);
    // Valid replies reach the user, except the hand-over to human customer service.
    expect(inbox.messages.map((m: { msgType: string }) => m.msgType)).toEqual([
      'image',
      'voice',
      'video',
      'music',
      'news',
    ]);
    expect(inbox.messages[4].payload.Articles.item).toHaveLength(2);
  });
});
