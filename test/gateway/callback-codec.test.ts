import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { MessageCipher } from '../../src/gateway/crypto/message-cipher.js';
import { CallbackCodec, type CallbackQuery } from '../../src/gateway/receive/callback-codec.js';
import { dedupKey, qrScene, toPushEvent } from '../../src/gateway/receive/push-event.js';
import { parsePushXml } from '../../src/gateway/xml/push-xml.js';

const APPID = 'wx1234567890abcdef';
const TOKEN = 'Tok3n';
const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const NOW = 1_700_000_000;

// Written from the protocol text, not with the code under test: sort, concatenate, SHA-1.
const sha1 = (...parts: string[]) => createHash('sha1').update(parts.sort().join('')).digest('hex');

const TEXT = `<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><FromUserName><![CDATA[oUser1]]></FromUserName><CreateTime>${NOW}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 <b>&]]></Content><MsgId>23456789012345678901</MsgId></xml>`;

function plainQuery(timestamp = String(NOW), nonce = '42'): CallbackQuery {
  return { signature: sha1(TOKEN, timestamp, nonce), timestamp, nonce, openid: 'oUser1' };
}

function encrypted(xml: string, mode: 'compatible' | 'safe', appid = APPID) {
  const encrypt = new MessageCipher(AES, appid).encrypt(xml);
  const query = {
    ...plainQuery(),
    encrypt_type: 'aes',
    msg_signature: sha1(TOKEN, String(NOW), '42', encrypt),
  };
  const inner =
    mode === 'compatible'
      ? xml.replace(/^<xml>|<\/xml>$/g, '')
      : '<ToUserName><![CDATA[gh_abc]]></ToUserName>';
  return { query, body: `<xml>${inner}<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>` };
}

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

describe('CallbackCodec', () => {
  const plain = new CallbackCodec(APPID, { token: TOKEN, mode: 'plain' });
  const safe = new CallbackCodec(APPID, { token: TOKEN, mode: 'safe', encodingAESKey: AES });
  const compatible = new CallbackCodec(APPID, { token: TOKEN, mode: 'compatible', encodingAESKey: AES });

  it('answers the URL check with echostr, only for a true signature', () => {
    expect(plain.verifyUrl({ ...plainQuery(), echostr: '8563245' }, NOW)).toBe('8563245');
    expect(safe.verifyUrl({ ...plainQuery(), echostr: 'e' }, NOW)).toBe('e');
    const forged = refusal(() =>
      plain.verifyUrl({ ...plainQuery(), signature: sha1('other', String(NOW), '42'), echostr: 'x' }, NOW),
    );
    expect(isWxhubError(forged, 'WXHUB_ERR_CALLBACK_SIGNATURE')).toBe(true);
  });

  it('opens a plaintext push, keeping MsgId and content as text', () => {
    const push = plain.open(plainQuery(), TEXT, NOW);
    expect(push.encrypted).toBe(false);
    expect(push.fields.MsgId).toBe('23456789012345678901');
    expect(push.fields.Content).toBe('你好 <b>&');
  });

  it('opens safe and compatible pushes from the decrypted text, not the plaintext beside it', () => {
    const sealed = encrypted(TEXT, 'safe');
    expect(safe.open(sealed.query, sealed.body, NOW).fields.Content).toBe('你好 <b>&');
    const { query, body } = encrypted(TEXT, 'compatible');
    // An attacker edits the unauthenticated plaintext copy: the sealed one wins.
    const tampered = body.replace('你好', '转账');
    const push = compatible.open(query, tampered, NOW);
    expect(push.encrypted).toBe(true);
    expect(push.fields.Content).toBe('你好 <b>&');
    // Compatible mode also takes plaintext pushes (the console switched mode before the hub).
    expect(compatible.open(plainQuery(), TEXT, NOW).encrypted).toBe(false);
  });

  it('refuses forged, stale, downgraded and misdirected pushes, typed', () => {
    const sealed = encrypted(TEXT, 'safe');
    const foreign = encrypted(TEXT, 'safe', 'wx0000000000000000');
    const cases: [string, () => unknown, string][] = [
      [
        'no signature',
        () => plain.open({ timestamp: String(NOW), nonce: '1' }, TEXT, NOW),
        'WXHUB_ERR_CALLBACK_SIGNATURE',
      ],
      [
        'wrong token',
        () => plain.open({ ...plainQuery(), signature: sha1('x', String(NOW), '42') }, TEXT, NOW),
        'WXHUB_ERR_CALLBACK_SIGNATURE',
      ],
      [
        'replayed an hour later',
        () => plain.open(plainQuery(), TEXT, NOW + 3600),
        'WXHUB_ERR_CALLBACK_SIGNATURE',
      ],
      ['plaintext to safe mode', () => safe.open(plainQuery(), TEXT, NOW), 'WXHUB_ERR_CALLBACK_SIGNATURE'],
      [
        'bad msg_signature',
        () => safe.open({ ...sealed.query, msg_signature: sha1('a') }, sealed.body, NOW),
        'WXHUB_ERR_CALLBACK_SIGNATURE',
      ],
      [
        "another account's push",
        () => safe.open(foreign.query, foreign.body, NOW),
        'WXHUB_ERR_CALLBACK_APPID',
      ],
      [
        'aes without Encrypt',
        () => safe.open({ ...plainQuery(), encrypt_type: 'aes' }, TEXT, NOW),
        'WXHUB_ERR_CALLBACK_XML',
      ],
    ];
    for (const [name, run, code] of cases) expect(isWxhubError(refusal(run), code as never), name).toBe(true);
  });

  it('seals a reply for an encrypted push, signed so WeChat can check it', () => {
    const reply = '<xml><Content><![CDATA[hi]]></Content></xml>';
    expect(safe.seal(reply, { encrypted: false }, NOW)).toBe(reply);
    const sealed = parsePushXml(safe.seal(reply, { encrypted: true }, NOW));
    const encrypt = sealed.Encrypt as string;
    expect(sealed.MsgSignature).toBe(
      sha1(TOKEN, sealed.TimeStamp as string, sealed.Nonce as string, encrypt),
    );
    expect(new MessageCipher(AES, APPID).decrypt(encrypt)).toBe(reply);
  });

  it('checks its settings', () => {
    expect(() => new CallbackCodec(APPID, { token: 'a!', mode: 'plain' })).toThrow(/token/);
    expect(() => new CallbackCodec(APPID, { token: TOKEN, mode: 'safe' })).toThrow(/encodingAESKey/);
  });
});

describe('parsePushXml', () => {
  const refusedAs = (body: string) => {
    const err = refusal(() => parsePushXml(body));
    return isWxhubError(err, 'WXHUB_ERR_CALLBACK_XML');
  };

  it('refuses DOCTYPEs and entities without expanding anything', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><Content>&lol2;</Content></xml>`;
    const external = `<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>`;
    expect(refusedAs(bomb)).toBe(true);
    expect(refusedAs(external)).toBe(true);
    expect(refusedAs('<xml><!-- hi --><A>1</A></xml>')).toBe(true);
    expect(refusedAs('<?xml-stylesheet href="x"?><xml><A>1</A></xml>')).toBe(true);
  });

  it('refuses malformed, rootless and oversized bodies', () => {
    expect(refusedAs('<xml><A>1</xml>')).toBe(true);
    expect(refusedAs('success')).toBe(true);
    expect(refusedAs('<other><A>1</A></other>')).toBe(true);
    expect(refusedAs(`<xml><A>${'x'.repeat(70_000)}</A></xml>`)).toBe(true);
  });

  it('reads nested event fields and the XML declaration', () => {
    const fields = parsePushXml(
      '<?xml version="1.0" encoding="UTF-8"?><xml><MsgType><![CDATA[event]]></MsgType><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo></xml>',
    );
    expect(fields.ScanCodeInfo).toEqual({ ScanType: 'qrcode', ScanResult: '1' });
  });
});

describe('push events', () => {
  const event = (inner: string) =>
    parsePushXml(
      `<xml><ToUserName>gh_a</ToUserName><FromUserName>oU</FromUserName><CreateTime>${NOW}</CreateTime>${inner}</xml>`,
    );

  it('dedups messages by MsgId and events by sender, time and event', () => {
    const message = parsePushXml(TEXT);
    expect(dedupKey(APPID, message)).toBe(`${APPID}:m:23456789012345678901`);
    const subscribe = event('<MsgType>event</MsgType><Event>subscribe</Event>');
    const scan = event('<MsgType>event</MsgType><Event>SCAN</Event>');
    expect(dedupKey(APPID, subscribe)).toBe(
      dedupKey(APPID, event('<MsgType>event</MsgType><Event>subscribe</Event>')),
    );
    expect(dedupKey(APPID, subscribe)).not.toBe(dedupKey(APPID, scan));
    expect(dedupKey(APPID, subscribe)).not.toBe(dedupKey('wx0', subscribe));
  });

  it('builds the consumer JSON with the same id for every retry', () => {
    const a = toPushEvent(APPID, parsePushXml(TEXT), TEXT);
    expect(a).toMatchObject({
      appid: APPID,
      openid: 'oUser1',
      type: 'message',
      msg_type: 'text',
      create_time: NOW,
    });
    expect(a.id).toBe(toPushEvent(APPID, parsePushXml(TEXT), TEXT).id);
    expect(a.id).toMatch(/^evt_[A-Za-z0-9_-]{24}$/);
    const scan = toPushEvent(
      APPID,
      event('<MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_login42</EventKey>'),
      '',
    );
    expect(scan).toMatchObject({ type: 'event', event: 'subscribe', event_key: 'qrscene_login42' });
    expect(qrScene(scan)).toBe('login42');
    expect(qrScene({ event: 'SCAN', event_key: 'login42' })).toBe('login42');
    expect(qrScene({ event: 'CLICK', event_key: 'login42' })).toBeUndefined();
    expect(() => toPushEvent(APPID, parsePushXml('<xml><A>1</A></xml>'), '')).toThrow(/FromUserName/);
  });
});
