import { newNonce } from '../ids.js';
import type { SimAccount, SimUser } from '../state/account.js';
import type { SimState } from '../state/sim-state.js';
import { pushQuery, type SealContext, sealPush, withQuery } from './envelope.js';
import { aesKeyOf } from './message-crypto.js';
import type { XmlField } from './push-xml.js';
import { openReply, type PushReply, type ValidReply } from './reply.js';
import { PUSH_TIMEOUT_MS, type ServerConfig } from './server-config.js';

/** WeChat's tries per push: the first and two retries, all with the same body. */
export const PUSH_TRIES = 3;

/** What the user sees when the server fails (timeouts, non-200, garbage). */
export const SERVICE_UNAVAILABLE = '该公众号暂时无法提供服务，请稍后再试';

/** The HTTP headers of a push. */
const PUSH_HEADERS = { 'content-type': 'text/xml', 'user-agent': 'Mozilla/4.0', accept: '*/*' };

/** One try: the HTTP status, or why there was none. */
export interface PushTry {
  readonly status?: number;
  readonly error?: string;
  /** Real milliseconds. */
  readonly ms: number;
}

/** What a push came to, as the control plane answers it. */
export interface PushOutcome {
  /** Tries made, 1–3. */
  readonly attempts: number;
  /** A try got HTTP 200 in time (WeChat stops trying). */
  readonly delivered: boolean;
  /** The reply (decrypted and checked), null for none, `{invalid, reason, raw}` for garbage. */
  readonly reply: PushReply;
  /** What the user sees: WeChat's error line when the server failed or answered garbage. */
  readonly userSees: string | null;
  readonly tries: readonly PushTry[];
  /** The message as the server gets it (decrypted, in compatible and safe mode). */
  readonly xml: string;
}

/** The envelope settings of an account's server. */
export function sealContext(account: SimAccount, server: ServerConfig): SealContext {
  return {
    mode: server.mode,
    token: server.token,
    key: server.encodingAESKey === undefined ? undefined : aesKeyOf(server.encodingAESKey),
    appid: account.appid,
    originalId: account.settings.originalId,
  };
}

/**
 * Pushes one message or event to the account's server as WeChat does: signed (and encrypted
 * per mode), `timeoutMs` per try, up to 3 tries with the same body (so the same MsgId, or
 * FromUserName + CreateTime for events) and a fresh timestamp, nonce and signatures each time,
 * stopping at the first HTTP 200. A valid reply lands in the user's inbox.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
 */
export async function deliverPush(
  sim: SimState,
  account: SimAccount,
  server: ServerConfig,
  user: SimUser,
  fields: readonly XmlField[],
  timeoutMs: number | undefined,
): Promise<PushOutcome> {
  const ctx = sealContext(account, server);
  const sealed = sealPush(fields, ctx);
  const tries: PushTry[] = [];
  let reply: PushReply = null;
  let delivered = false;
  while (!delivered && tries.length < PUSH_TRIES) {
    const timestamp = String(Math.floor(sim.now() / 1000));
    const result = await sim.outbound.send({
      method: 'POST',
      url: withQuery(server.url, pushQuery(sealed, ctx, user.openid, timestamp, newNonce())),
      body: sealed.body,
      headers: PUSH_HEADERS,
      timeoutMs: timeoutMs ?? server.timeoutMs ?? PUSH_TIMEOUT_MS,
    });
    if (!result.ok) {
      tries.push({ error: result.error, ms: result.ms });
      continue;
    }
    tries.push({ status: result.status, ms: result.ms });
    if (result.status === 200) {
      delivered = true;
      reply = openReply(result.body, { ...ctx, openid: user.openid });
    }
  }
  if (reply && !('invalid' in reply)) receiveReply(sim, account, user, reply);
  const failed = !delivered || (reply !== null && 'invalid' in reply);
  return {
    attempts: tries.length,
    delivered,
    reply,
    userSees: failed ? SERVICE_UNAVAILABLE : null,
    tries,
    xml: sealed.xml,
  };
}

/** A passive reply reaches the user (a hand-over to human service shows nothing). */
function receiveReply(sim: SimState, account: SimAccount, user: SimUser, reply: ValidReply): void {
  if (reply.msgType === 'transfer_customer_service') return;
  const content = reply.msgType === 'text' ? reply.fields.Content : undefined;
  sim.receiveMessage(account.appid, user, {
    at: sim.now(),
    source: 'reply',
    msgType: reply.msgType,
    ...(typeof content === 'string' ? { content } : {}),
    payload: reply.fields,
  });
}
