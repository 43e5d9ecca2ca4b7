import type { SealContext } from './envelope.js';
import { decryptMessage } from './message-crypto.js';
import { parseXmlDocument, textOf, type XmlObject } from './push-xml.js';
import { pushSignature, sameSignature } from './signature.js';

/** A reply the user receives: its type, its XML fields (WeChat's names), its plaintext XML. */
export interface ValidReply {
  readonly msgType: string;
  readonly fields: XmlObject;
  readonly xml: string;
}

/** A 200 answer WeChat cannot use: the user sees 该公众号暂时无法提供服务. */
export interface InvalidReply {
  readonly invalid: true;
  readonly reason: string;
  /** The body as the server sent it. */
  readonly raw: string;
}

/** `null`: no reply (`success` or an empty body). */
export type PushReply = ValidReply | InvalidReply | null;

/** Who the reply must be addressed to and from. */
export interface ReplyContext extends SealContext {
  readonly openid: string;
}

const NEWS_MAX = 8;

function child(xml: XmlObject, name: string): XmlObject | undefined {
  const value = xml[name];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}

/** What a reply of each type must hold; a reason when it does not. */
function missingContent(msgType: string, xml: XmlObject): string | undefined {
  const need = (ok: boolean, what: string): string | undefined =>
    ok ? undefined : `a ${msgType} reply needs ${what}`;
  switch (msgType) {
    case 'text':
      return need(nonEmpty(textOf(xml, 'Content')), 'a Content');
    case 'image':
    case 'voice': {
      const wrapper = msgType === 'image' ? 'Image' : 'Voice';
      const inner = child(xml, wrapper);
      return need(inner !== undefined && nonEmpty(textOf(inner, 'MediaId')), `<${wrapper}><MediaId>`);
    }
    case 'video': {
      const inner = child(xml, 'Video');
      return need(inner !== undefined && nonEmpty(textOf(inner, 'MediaId')), '<Video><MediaId>');
    }
    case 'music': {
      const inner = child(xml, 'Music');
      return need(inner !== undefined && nonEmpty(textOf(inner, 'ThumbMediaId')), '<Music><ThumbMediaId>');
    }
    case 'news': {
      const items = child(xml, 'Articles')?.item;
      const count = Array.isArray(items) ? items.length : 0;
      if (count < 1 || count > NEWS_MAX) return `a news reply needs 1–${NEWS_MAX} <Articles><item>`;
      return need(textOf(xml, 'ArticleCount')?.trim() === String(count), `ArticleCount ${count}`);
    }
    case 'transfer_customer_service':
      return undefined;
    default:
      return `MsgType ${JSON.stringify(msgType)} is not a reply type`;
  }
}

/** Checks a plaintext reply: addressed to the user, from the account, with its content. */
function checkPlainReply(xml: XmlObject, text: string, ctx: ReplyContext): ValidReply | string {
  const to = textOf(xml, 'ToUserName')?.trim();
  if (to !== ctx.openid) return `ToUserName ${JSON.stringify(to)} is not the user ${ctx.openid}`;
  const from = textOf(xml, 'FromUserName')?.trim();
  if (from !== ctx.originalId)
    return `FromUserName ${JSON.stringify(from)} is not the account ${ctx.originalId}`;
  if (!/^\d+$/.test(textOf(xml, 'CreateTime')?.trim() ?? '')) return 'CreateTime is not a number';
  const msgType = textOf(xml, 'MsgType')?.trim() ?? '';
  const missing = missingContent(msgType, xml);
  if (missing) return missing;
  return { msgType, fields: xml, xml: text };
}

/** The plaintext inside a safe-mode reply, after its MsgSignature and appid are checked. */
function unwrap(xml: XmlObject, ctx: ReplyContext): { xml: XmlObject; text: string } | string {
  const encrypt = textOf(xml, 'Encrypt')?.trim();
  const signature = textOf(xml, 'MsgSignature')?.trim();
  const timestamp = textOf(xml, 'TimeStamp')?.trim();
  const nonce = textOf(xml, 'Nonce')?.trim();
  if (!encrypt || !signature || !timestamp || !nonce) {
    return 'an encrypted reply needs Encrypt, MsgSignature, TimeStamp and Nonce';
  }
  if (!ctx.key) return 'an encrypted reply, but the account has no EncodingAESKey';
  if (!sameSignature(signature, pushSignature(ctx.token, timestamp, nonce, encrypt))) {
    return 'MsgSignature does not match sha1(sort(token, TimeStamp, Nonce, Encrypt))';
  }
  let inner: { xml: string; appid: string };
  try {
    inner = decryptMessage(encrypt, ctx.key);
  } catch (err) {
    return `Encrypt does not decrypt with the account's EncodingAESKey (${(err as Error).message})`;
  }
  if (inner.appid !== ctx.appid) return `the encrypted reply names appid ${JSON.stringify(inner.appid)}`;
  const parsed = parseXmlDocument(inner.xml);
  if (!parsed.ok) return `the decrypted reply is ${parsed.reason}`;
  return { xml: parsed.xml, text: inner.xml };
}

/**
 * What WeChat makes of a server's 200 answer: nothing (`success`, empty), a reply to show the
 * user, or garbage. Safe mode needs an encrypted reply with a valid MsgSignature (a forged or
 * corrupted one is garbage, never shown); compatible mode takes either; plaintext mode takes
 * plaintext. A reply must be addressed to the user from the account's original id.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
 */
export function openReply(raw: string, ctx: ReplyContext): PushReply {
  const text = raw.trim();
  if (text === '' || text === 'success') return null;
  const invalid = (reason: string): InvalidReply => ({ invalid: true, reason, raw });
  const parsed = parseXmlDocument(text);
  if (!parsed.ok) return invalid(`the answer is ${parsed.reason}`);
  let xml = parsed.xml;
  let plainText = text;
  if (xml.Encrypt !== undefined) {
    if (ctx.mode === 'plain') return invalid('an encrypted reply, but the account is in plaintext mode');
    const inner = unwrap(xml, ctx);
    if (typeof inner === 'string') return invalid(inner);
    xml = inner.xml;
    plainText = inner.text;
  } else if (ctx.mode === 'safe') {
    return invalid('safe mode takes only encrypted replies');
  }
  const checked = checkPlainReply(xml, plainText, ctx);
  return typeof checked === 'string' ? invalid(checked) : checked;
}
