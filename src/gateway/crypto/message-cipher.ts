import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WxhubError } from '../../errors/index.js';

/** An EncodingAESKey as WeChat's console makes it: 43 characters of `[A-Za-z0-9]`. */
export const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;
/** WeChat pads to 32-byte blocks (PKCS#7 with a 32-byte block), not AES's own 16. */
const PAD_BLOCK = 32;

/**
 * The AES-256-CBC envelope of compatible and safe mode (shared/wechat-api.md §11): key =
 * base64(EncodingAESKey + "="), IV = the key's first 16 bytes, plaintext = 16 random bytes, the
 * message length as 4 bytes big-endian, the message, the appid; padded PKCS#7 to 32 bytes.
 */
export class MessageCipher {
  readonly #key: Buffer;
  readonly #iv: Buffer;
  readonly #appid: string;

  constructor(encodingAESKey: string, appid: string) {
    if (!ENCODING_AES_KEY.test(encodingAESKey)) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_CONFIG',
        'callback.encodingAESKey must be 43 characters of [A-Za-z0-9]',
      );
    }
    this.#key = Buffer.from(`${encodingAESKey}=`, 'base64');
    this.#iv = this.#key.subarray(0, 16);
    this.#appid = appid;
  }

  /** The base64 `Encrypt` text for `message`; `random` (16 bytes) only for known-answer tests. */
  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const plain = Buffer.concat([random, length, body, Buffer.from(this.#appid, 'utf8')]);
    const pad = PAD_BLOCK - (plain.length % PAD_BLOCK);
    const cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false);
    return Buffer.concat([
      cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])),
      cipher.final(),
    ]).toString('base64');
  }

  /**
   * The message inside an `Encrypt` text. Refuses a text that is not this key's (bad padding or
   * length) with `WXHUB_ERR_CALLBACK_DECRYPT`, and a message sealed for another appid with
   * `WXHUB_ERR_CALLBACK_APPID`: a push for one account must never pass as another's.
   */
  decrypt(encrypted: string): string {
    const plain = this.#open(encrypted);
    const length = plain.readUInt32BE(16);
    if (20 + length > plain.length) throw decryptError('the length field runs past the end');
    const appid = plain.subarray(20 + length).toString('utf8');
    if (appid !== this.#appid) {
      throw new WxhubError(
        'WXHUB_ERR_CALLBACK_APPID',
        `sealed for ${appid.slice(0, 32)}, not ${this.#appid}`,
      );
    }
    return plain.subarray(20, 20 + length).toString('utf8');
  }

  #open(encrypted: string): Buffer {
    const data = Buffer.from(encrypted, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) throw decryptError('not whole AES blocks');
    let padded: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false);
      padded = Buffer.concat([decipher.update(data), decipher.final()]);
    } catch {
      throw decryptError('AES refused it');
    }
    const pad = padded[padded.length - 1] ?? 0;
    if (pad < 1 || pad > PAD_BLOCK || pad > padded.length - 20) throw decryptError('bad padding');
    for (let i = padded.length - pad; i < padded.length; i++) {
      if (padded[i] !== pad) throw decryptError('bad padding');
    }
    return padded.subarray(0, padded.length - pad);
  }
}

function decryptError(why: string): WxhubError {
  return new WxhubError('WXHUB_ERR_CALLBACK_DECRYPT', why);
}
