import { createCipheriv, createDecipheriv } from 'node:crypto';
import { newMessageRandom } from '../ids.js';

/** AES-256-CBC as WeChat uses it: PKCS#7 padding to a 32-byte block (not AES's 16). */
const BLOCK = 32;

/** The 32-byte AES key of an EncodingAESKey (43 base64 characters; WeChat drops the `=`). */
export function aesKeyOf(encodingAESKey: string): Buffer {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  if (key.length !== 32) throw new RangeError('an EncodingAESKey decodes to 32 bytes');
  return key;
}

/**
 * Encrypts a message as WeChat does in compatible and safe mode: plaintext = 16 random
 * characters + the message's byte length (4 bytes, big-endian) + the message + the appid,
 * PKCS#7-padded to 32 bytes, AES-256-CBC with IV = the key's first 16 bytes, base64.
 * `random` is for known-answer tests only.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
 */
export function encryptMessage(xml: string, appid: string, key: Buffer, random = newMessageRandom()): string {
  const message = Buffer.from(xml, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length, 0);
  const plain = Buffer.concat([Buffer.from(random, 'utf8'), length, message, Buffer.from(appid, 'utf8')]);
  const pad = BLOCK - (plain.length % BLOCK);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([
    cipher.update(plain),
    cipher.update(Buffer.alloc(pad, pad)),
    cipher.final(),
  ]).toString('base64');
}

/** The message and appid inside an `Encrypt` value; throws RangeError when it is not one. */
export function decryptMessage(encrypted: string, key: Buffer): { xml: string; appid: string } {
  const data = Buffer.from(encrypted, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) throw new RangeError('not AES-CBC ciphertext');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data), decipher.final()]);
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > BLOCK || pad > plain.length) throw new RangeError('bad padding');
  const body = plain.subarray(0, plain.length - pad);
  if (body.length < 20) throw new RangeError('too short');
  const length = body.readUInt32BE(16);
  if (20 + length > body.length) throw new RangeError('message length beyond the plaintext');
  return {
    xml: body.subarray(20, 20 + length).toString('utf8'),
    appid: body.subarray(20 + length).toString('utf8'),
  };
}
