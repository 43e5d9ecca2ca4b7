import { encryptMessage } from './message-crypto.js';
import { buildXml, type XmlField } from './push-xml.js';
import type { PushMode } from './server-config.js';
import { pushSignature } from './signature.js';

/** What a push's envelope needs: the mode, the server's token and AES key, the account. */
export interface SealContext {
  readonly mode: PushMode;
  readonly token: string;
  /** The AES key (compatible and safe mode). */
  readonly key: Buffer | undefined;
  readonly appid: string;
  readonly originalId: string;
}

/** A push body, built once and posted unchanged on every try. */
export interface SealedPush {
  /** The message in plaintext, as encrypted in compatible and safe mode. */
  readonly xml: string;
  /** The body posted. */
  readonly body: string;
  /** The `Encrypt` value (compatible and safe mode). */
  readonly encrypt: string | undefined;
}

/**
 * The body WeChat posts in each mode: plain, the message; compatible, the message's fields and
 * then `<Encrypt>`; safe, only `ToUserName` and `<Encrypt>`.
 */
export function sealPush(fields: readonly XmlField[], ctx: SealContext): SealedPush {
  const xml = buildXml(fields);
  if (ctx.mode === 'plain' || !ctx.key) return { xml, body: xml, encrypt: undefined };
  const encrypt = encryptMessage(xml, ctx.appid, ctx.key);
  const envelope: XmlField[] =
    ctx.mode === 'compatible'
      ? [...fields, ['Encrypt', encrypt, 'cdata']]
      : [
          ['ToUserName', ctx.originalId, 'cdata'],
          ['Encrypt', encrypt, 'cdata'],
        ];
  return { xml, body: buildXml(envelope), encrypt };
}

/**
 * The query string of one try: `signature`, `timestamp`, `nonce`, `openid`, and in compatible
 * and safe mode `encrypt_type=aes` and `msg_signature`, in WeChat's order.
 */
export function pushQuery(
  sealed: SealedPush,
  ctx: SealContext,
  openid: string,
  timestamp: string,
  nonce: string,
): string {
  const params: Array<[string, string]> = [
    ['signature', pushSignature(ctx.token, timestamp, nonce)],
    ['timestamp', timestamp],
    ['nonce', nonce],
    ['openid', openid],
  ];
  if (sealed.encrypt !== undefined) {
    params.push(
      ['encrypt_type', 'aes'],
      ['msg_signature', pushSignature(ctx.token, timestamp, nonce, sealed.encrypt)],
    );
  }
  return params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

/** The server URL with a query appended (after the URL's own query, if it has one). */
export function withQuery(url: string, query: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}
