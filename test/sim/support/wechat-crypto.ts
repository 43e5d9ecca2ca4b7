// The receiver's side of WeChat's push crypto, written from shared/wechat-api.md §11 with
// node:crypto alone. It must NOT import the simulator's crypto: tests check one against the other
// (and both against WeChat's worked example).
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

export function sha1Sorted(...parts: string[]): string {
  return createHash('sha1').update(parts.sort().join('')).digest('hex');
}

function keyOf(encodingAESKey: string): Buffer {
  return Buffer.from(`${encodingAESKey}=`, 'base64');
}

/** Decrypts an `Encrypt` value: 16 random bytes, 4-byte big-endian length, message, appid. */
export function receiverDecrypt(
  encrypt: string,
  encodingAESKey: string,
): { random: Buffer; xml: string; appid: string; padding: number } {
  const key = keyOf(encodingAESKey);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  const padding = plain[plain.length - 1]!;
  const unpadded = plain.subarray(0, plain.length - padding);
  const length = unpadded.readUInt32BE(16);
  return {
    random: unpadded.subarray(0, 16),
    xml: unpadded.subarray(20, 20 + length).toString('utf8'),
    appid: unpadded.subarray(20 + length).toString('utf8'),
    padding,
  };
}

/** Encrypts a reply the way a developer's server must (PKCS#7 to 32 bytes, IV = key[0..16]). */
export function receiverEncrypt(
  xml: string,
  appid: string,
  encodingAESKey: string,
  random = 'abcdefghijklmnop',
): string {
  const key = keyOf(encodingAESKey);
  const message = Buffer.from(xml);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const body = Buffer.concat([Buffer.from(random), length, message, Buffer.from(appid)]);
  const pad = 32 - (body.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([
    cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])),
    cipher.final(),
  ]).toString('base64');
}

/** A safe-mode reply wrapper with its MsgSignature. */
export function encryptedReply(
  xml: string,
  opts: { appid: string; token: string; encodingAESKey: string; timestamp?: string; nonce?: string },
): string {
  const timestamp = opts.timestamp ?? '1767240000';
  const nonce = opts.nonce ?? '424242';
  const encrypt = receiverEncrypt(xml, opts.appid, opts.encodingAESKey);
  const signature = sha1Sorted(opts.token, timestamp, nonce, encrypt);
  return `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${signature}]]></MsgSignature><TimeStamp>${timestamp}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`;
}

/** One top-level field of a push's XML, CDATA or bare (a regex: no shared parser). */
export function xmlField(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${name}>`).exec(xml);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** The element names of a push's XML, in order (top level only). */
export function xmlFieldNames(xml: string): string[] {
  const inner = xml.replace(/^<xml>/, '').replace(/<\/xml>$/, '');
  return [...inner.matchAll(/<([A-Za-z_]+)>(?:<!\[CDATA\[[\s\S]*?\]\]>|[^<]*)<\/\1>/g)].map((m) => m[1]!);
}

/** A plaintext text reply from the account to the user. */
export function textReply(openid: string, originalId: string, content: string): string {
  return `<xml><ToUserName><![CDATA[${openid}]]></ToUserName><FromUserName><![CDATA[${originalId}]]></FromUserName><CreateTime>1767240000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content></xml>`;
}
