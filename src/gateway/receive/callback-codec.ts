import { randomBytes } from 'node:crypto';
import { WxhubError } from '../../errors/index.js';
import { sign, verifySignature } from '../crypto/callback-signature.js';
import { MessageCipher } from '../crypto/message-cipher.js';
import { type PushFields, parsePushXml, textField } from '../xml/push-xml.js';

/** 明文 plaintext, 兼容 compatible (plaintext and encrypted), 安全 safe (encrypted only). */
export type CallbackMode = 'plain' | 'compatible' | 'safe';

/** An account's server configuration, as entered in WeChat's console (§11). */
export interface CallbackSettings {
  readonly token: string;
  readonly encodingAESKey?: string;
  readonly mode: CallbackMode;
}

/** The query WeChat puts on the callback URL (`echostr` for the URL check only). */
export interface CallbackQuery {
  readonly signature?: string;
  readonly timestamp?: string;
  readonly nonce?: string;
  readonly openid?: string;
  readonly encrypt_type?: string;
  readonly msg_signature?: string;
  readonly echostr?: string;
}

/** A push that passed every check: its XML as WeChat wrote it (decrypted), and its fields. */
export interface OpenedPush {
  readonly xml: string;
  readonly fields: PushFields;
  /** Whether it came encrypted, so the reply goes back the same way. */
  readonly encrypted: boolean;
}

/** A WeChat Token: 3–32 characters of `[A-Za-z0-9]`. */
export const CALLBACK_TOKEN = /^[A-Za-z0-9]{3,32}$/;

/**
 * One account's push protocol: the URL check, verifying and opening a push, sealing a reply.
 * Every check runs before anything is parsed into state, so a forged push has no side effect.
 */
export class CallbackCodec {
  readonly #settings: CallbackSettings;
  readonly #cipher: MessageCipher | undefined;
  readonly #maxSkewSeconds: number;

  /** `maxSkewSeconds`: how far a push's timestamp may be from `now` (replayed pushes are refused). */
  constructor(appid: string, settings: CallbackSettings, maxSkewSeconds = 300) {
    if (!CALLBACK_TOKEN.test(settings.token)) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_CONFIG',
        `${appid}: callback.token must be 3–32 characters of [A-Za-z0-9]`,
      );
    }
    if (settings.mode !== 'plain' && !settings.encodingAESKey) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_CONFIG',
        `${appid}: callback.encodingAESKey is required in ${settings.mode} mode`,
      );
    }
    this.#settings = settings;
    this.#cipher = settings.encodingAESKey ? new MessageCipher(settings.encodingAESKey, appid) : undefined;
    this.#maxSkewSeconds = maxSkewSeconds;
  }

  /** The URL check: the `echostr` to answer when the signature is the account's, else a typed error. */
  verifyUrl(query: CallbackQuery, nowSeconds: number): string {
    this.#checkSignature(query, nowSeconds);
    if (typeof query.echostr !== 'string' || query.echostr === '') {
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'echostr is missing');
    }
    return query.echostr;
  }

  /** Verifies and opens a push (`body` is the POST body as text). */
  open(query: CallbackQuery, body: string, nowSeconds: number): OpenedPush {
    this.#checkSignature(query, nowSeconds);
    const outer = parsePushXml(body);
    if (query.encrypt_type === 'aes') return this.#openEncrypted(query, outer);
    if (query.encrypt_type !== undefined && query.encrypt_type !== 'raw') {
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'encrypt_type must be aes or raw');
    }
    // A plaintext push to an account in safe mode is a downgrade nobody asked for.
    if (this.#settings.mode === 'safe') throw signatureError('a plaintext push to an account in safe mode');
    return { xml: body, fields: outer, encrypted: false };
  }

  /** The answer to a push: `xml` as is, or encrypted and signed when the push came encrypted. */
  seal(xml: string, push: Pick<OpenedPush, 'encrypted'>, nowSeconds: number): string {
    if (!push.encrypted || !this.#cipher) return xml;
    const encrypt = this.#cipher.encrypt(xml);
    const timestamp = String(nowSeconds);
    const nonce = String(randomBytes(4).readUInt32BE());
    const signature = sign(this.#settings.token, timestamp, nonce, encrypt);
    return `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${signature}]]></MsgSignature><TimeStamp>${timestamp}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`;
  }

  #openEncrypted(query: CallbackQuery, outer: PushFields): OpenedPush {
    if (!this.#cipher) throw signatureError('an encrypted push to an account without an EncodingAESKey');
    const encrypt = textField(outer, 'Encrypt');
    if (!encrypt)
      throw new WxhubError('WXHUB_ERR_CALLBACK_XML', 'encrypt_type=aes without an <Encrypt> element');
    const { token } = this.#settings;
    if (!verifySignature(query.msg_signature, token, query.timestamp ?? '', query.nonce ?? '', encrypt)) {
      throw signatureError('msg_signature');
    }
    const xml = this.#cipher.decrypt(encrypt);
    return { xml, fields: parsePushXml(xml), encrypted: true };
  }

  #checkSignature(query: CallbackQuery, nowSeconds: number): void {
    const { timestamp, nonce } = query;
    if (typeof timestamp !== 'string' || typeof nonce !== 'string' || !/^\d{1,12}$/.test(timestamp)) {
      throw signatureError('timestamp or nonce missing');
    }
    if (!verifySignature(query.signature, this.#settings.token, timestamp, nonce))
      throw signatureError('signature');
    if (Math.abs(nowSeconds - Number(timestamp)) > this.#maxSkewSeconds) {
      throw signatureError(`timestamp more than ${this.#maxSkewSeconds} s from the hub's clock (a replay?)`);
    }
  }
}

function signatureError(what: string): WxhubError {
  return new WxhubError('WXHUB_ERR_CALLBACK_SIGNATURE', what);
}
