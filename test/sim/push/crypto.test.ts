import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aesKeyOf, decryptMessage, encryptMessage } from '../../../src/sim/push/message-crypto.js';
import { pushSignature, sameSignature } from '../../../src/sim/push/signature.js';
import { receiverDecrypt, receiverEncrypt, sha1Sorted } from '../support/wechat-crypto.js';

// WeChat's worked examples (the official WXBizMsgCrypt samples): facts, shared by every SDK.
const SAMPLE_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

// Encryption with the random prefix fixed (the Java sample's test vectors).
const FIXED_RANDOM = 'aaaabbbbccccdddd';
const FIXED_APPID = 'wxb11529c136998cb6';
const SHORT_MESSAGE = '我是中文abcd123';
const SHORT_CIPHERTEXT =
  'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==';
const VIDEO_MESSAGE =
  '<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>';
const VIDEO_CIPHERTEXT =
  'jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb';

// A push WeChat encrypted, with its msg_signature (the Python/Node samples' decrypt test).
const PUSH_TOKEN = 'spamtest';
const PUSH_TIMESTAMP = '1409735669';
const PUSH_NONCE = '1320562132';
const PUSH_MSG_SIGNATURE = '5d197aaffba7e9b25a30732f161a50dee96bd5fa';
const PUSH_APPID = 'wx2c2769f8efd9abc2';
const PUSH_ENCRYPT =
  'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=';
// What WeChat put inside: its real layout, one field per line.
const PUSH_XML =
  '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>';

describe("the simulator's push crypto against WeChat's worked examples", () => {
  const key = aesKeyOf(SAMPLE_KEY);

  it('encrypts the samples byte for byte when the random prefix is fixed', () => {
    expect(encryptMessage(SHORT_MESSAGE, FIXED_APPID, key, FIXED_RANDOM)).toBe(SHORT_CIPHERTEXT);
    expect(encryptMessage(VIDEO_MESSAGE, FIXED_APPID, key, FIXED_RANDOM)).toBe(VIDEO_CIPHERTEXT);
  });

  it("computes WeChat's msg_signature and decrypts WeChat's own push", () => {
    expect(pushSignature(PUSH_TOKEN, PUSH_TIMESTAMP, PUSH_NONCE, PUSH_ENCRYPT)).toBe(PUSH_MSG_SIGNATURE);
    expect(decryptMessage(PUSH_ENCRYPT, key)).toEqual({ xml: PUSH_XML, appid: PUSH_APPID });
  });

  it('decrypts what it encrypts, multi-byte text included', () => {
    const xml = '<xml><Content><![CDATA[你好，世界 🌏]]></Content></xml>';
    expect(decryptMessage(encryptMessage(xml, 'wx1', key), key)).toEqual({ xml, appid: 'wx1' });
  });

  it('refuses ciphertext that is not WeChat-shaped', () => {
    expect(() => decryptMessage('', key)).toThrow(RangeError);
    expect(() => decryptMessage(Buffer.alloc(15).toString('base64'), key)).toThrow(RangeError);
    // Whole AES blocks whose last plaintext byte is no PKCS#7 pad of 1–32.
    for (const last of [0, 33]) {
      const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
      const plain = Buffer.alloc(32, 1);
      plain[31] = last;
      const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
      expect(() => decryptMessage(encrypted, key)).toThrow(/bad padding/);
    }
  });

  it('compares signatures by value only', () => {
    expect(sameSignature(PUSH_MSG_SIGNATURE, PUSH_MSG_SIGNATURE)).toBe(true);
    expect(sameSignature(PUSH_MSG_SIGNATURE.replace(/^5/, '6'), PUSH_MSG_SIGNATURE)).toBe(false);
    expect(sameSignature('short', PUSH_MSG_SIGNATURE)).toBe(false);
  });
});

describe("the tests' independent receiver crypto", () => {
  it('agrees with the same worked examples, so it can judge the simulator', () => {
    expect(receiverEncrypt(SHORT_MESSAGE, FIXED_APPID, SAMPLE_KEY, FIXED_RANDOM)).toBe(SHORT_CIPHERTEXT);
    expect(sha1Sorted(PUSH_TOKEN, PUSH_TIMESTAMP, PUSH_NONCE, PUSH_ENCRYPT)).toBe(PUSH_MSG_SIGNATURE);
    const opened = receiverDecrypt(PUSH_ENCRYPT, SAMPLE_KEY);
    expect([opened.xml, opened.appid]).toEqual([PUSH_XML, PUSH_APPID]);
  });

  it('pads to 32-byte blocks: a plaintext of exactly 32 bytes gets a whole block of 32', () => {
    // 16 random + 4 length + 7 message + 5 appid = 32 bytes.
    const encrypted = encryptMessage('1234567', 'wx123', aesKeyOf(SAMPLE_KEY));
    expect(Buffer.from(encrypted, 'base64')).toHaveLength(64);
    expect(receiverDecrypt(encrypted, SAMPLE_KEY)).toMatchObject({
      xml: '1234567',
      appid: 'wx123',
      padding: 32,
    });
  });

  it('opens what the simulator encrypts: 16 hex characters, the length, the message, the appid', () => {
    const encrypted = encryptMessage('<xml>hi</xml>', 'wxa000000000000001', aesKeyOf(SAMPLE_KEY));
    const opened = receiverDecrypt(encrypted, SAMPLE_KEY);
    expect(opened.random.toString('latin1')).toMatch(/^[0-9a-f]{16}$/);
    expect([opened.xml, opened.appid]).toEqual(['<xml>hi</xml>', 'wxa000000000000001']);
  });
});
