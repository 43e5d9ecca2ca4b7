import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { sign, verifySignature } from '../../src/gateway/crypto/callback-signature.js';
import { MessageCipher } from '../../src/gateway/crypto/message-cipher.js';

// WeChat's published sample for message encryption (the WXBizMsgCrypt demo): its key, token,
// appid, push and signature. Known answers from outside wxhub, so the cipher is not only checked
// against itself.
const SAMPLE = {
  key: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  token: 'spamtest',
  appid: 'wx2c2769f8efd9abc2',
  timestamp: '1409735669',
  nonce: '1320562132',
  msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
  encrypt:
    'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=',
};
// The Java sample's known encryption: a fixed 16-byte random prefix, a message, another appid.
const SEALED = {
  appid: 'wxb11529c136998cb6',
  random: 'aaaabbbbccccdddd',
  message: '我是中文abcd123',
  encrypt: 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==',
};

describe('push signatures', () => {
  it("match WeChat's sample msg_signature", () => {
    expect(sign(SAMPLE.token, SAMPLE.timestamp, SAMPLE.nonce, SAMPLE.encrypt)).toBe(SAMPLE.msgSignature);
    expect(
      verifySignature(SAMPLE.msgSignature, SAMPLE.token, SAMPLE.timestamp, SAMPLE.nonce, SAMPLE.encrypt),
    ).toBe(true);
  });

  it('sort the parts as strings, whatever order they come in', () => {
    expect(sign('b', 'a', 'c')).toBe(sign('c', 'b', 'a'));
    expect(sign('10', '9')).toBe(sign('9', '10'));
  });

  it('refuse a changed part, a missing signature, a prefix or another length', () => {
    const parts = [SAMPLE.token, SAMPLE.timestamp, SAMPLE.nonce, SAMPLE.encrypt] as const;
    expect(
      verifySignature(SAMPLE.msgSignature, SAMPLE.token, '1409735670', SAMPLE.nonce, SAMPLE.encrypt),
    ).toBe(false);
    expect(verifySignature(undefined, ...parts)).toBe(false);
    expect(verifySignature('', ...parts)).toBe(false);
    expect(verifySignature(SAMPLE.msgSignature.slice(0, 20), ...parts)).toBe(false);
    expect(verifySignature(`${SAMPLE.msgSignature}00`, ...parts)).toBe(false);
  });
});

describe('MessageCipher', () => {
  it("opens WeChat's sample push", () => {
    const xml = new MessageCipher(SAMPLE.key, SAMPLE.appid).decrypt(SAMPLE.encrypt);
    expect(xml).toContain('<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>');
    expect(xml).toContain('<MsgId>6054768590064713728</MsgId>');
  });

  it('seals exactly as the sample does for a known random prefix', () => {
    const cipher = new MessageCipher(SAMPLE.key, SEALED.appid);
    expect(cipher.encrypt(SEALED.message, Buffer.from(SEALED.random))).toBe(SEALED.encrypt);
    expect(cipher.decrypt(SEALED.encrypt)).toBe(SEALED.message);
  });

  it('pads to 32-byte blocks, as WeChat does (not AES’s 16)', () => {
    const cipher = new MessageCipher(SAMPLE.key, 'wx0000000000000000');
    for (const length of [0, 1, 11, 12, 13, 43, 44, 100]) {
      const sealed = Buffer.from(cipher.encrypt('x'.repeat(length)), 'base64');
      const key = Buffer.from(`${SAMPLE.key}=`, 'base64');
      const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
      const plain = Buffer.concat([decipher.update(sealed), decipher.final()]);
      const pad = plain.at(-1)!;
      expect(plain.length % 32).toBe(0);
      expect(pad).toBe(32 - ((16 + 4 + length + 18) % 32) || 32);
      expect(cipher.decrypt(sealed.toString('base64'))).toBe('x'.repeat(length));
    }
  });

  it("refuses a push sealed for another account's appid", () => {
    const other = new MessageCipher(SAMPLE.key, 'wx1111111111111111').encrypt('<xml/>');
    const err = (() => {
      try {
        new MessageCipher(SAMPLE.key, 'wx2222222222222222').decrypt(other);
      } catch (e) {
        return e;
      }
    })();
    expect(isWxhubError(err, 'WXHUB_ERR_CALLBACK_APPID')).toBe(true);
  });

  it('refuses a wrong key, a corrupt or truncated body, and garbage, typed', () => {
    const sealed = new MessageCipher(SAMPLE.key, SAMPLE.appid).encrypt('<xml><A>1</A></xml>');
    const wrongKey = new MessageCipher('B'.repeat(43), SAMPLE.appid);
    const open = (cipher: MessageCipher, text: string) => {
      try {
        cipher.decrypt(text);
        return null;
      } catch (e) {
        return e;
      }
    };
    const right = new MessageCipher(SAMPLE.key, SAMPLE.appid);
    for (const [cipher, text] of [
      [wrongKey, sealed],
      [right, sealed.slice(0, 20)],
      [right, ''],
      [right, 'not base64 at all!!'],
      [right, Buffer.alloc(64, 7).toString('base64')],
    ] as const) {
      const err = open(cipher, text);
      expect(
        isWxhubError(err, 'WXHUB_ERR_CALLBACK_DECRYPT') || isWxhubError(err, 'WXHUB_ERR_CALLBACK_APPID'),
        `${text.slice(0, 20)}: ${String(err)}`,
      ).toBe(true);
    }
  });

  it('checks its key and never echoes it', () => {
    const bad = 'short-key';
    expect(() => new MessageCipher(bad, 'wx1')).toThrow(/43 characters/);
    try {
      new MessageCipher(`${'a'.repeat(42)}!`, 'wx1');
    } catch (err) {
      expect(String(err)).not.toContain('a'.repeat(42));
    }
  });
});
