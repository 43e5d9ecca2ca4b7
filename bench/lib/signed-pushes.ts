import { randomBytes } from 'node:crypto';
import { pushQuery, type SealContext, sealPush } from '../../src/sim/push/envelope.js';
import { aesKeyOf } from '../../src/sim/push/message-crypto.js';
import type { PushMode } from '../../src/sim/push/server-config.js';
import type { LoadRequest } from './load.js';

/** An account's server settings as WeChat's console holds them, for pushes made by a bench. */
export interface PushAccount {
  readonly appid: string;
  readonly token: string;
  readonly encodingAESKey: string;
  readonly mode: PushMode;
}

/** One push: its body (sealed per mode once), whose query is signed when it is sent. */
export interface SignedPush {
  readonly appid: string;
  readonly openid: string;
  readonly msgId: string;
  /** The POST request, with a timestamp, nonce and signatures of the moment it is called. */
  request(): LoadRequest;
}

/**
 * Text-message pushes as WeChat posts them, signed and (compatible, safe) encrypted by the
 * simulator's envelope code, which shares nothing with the gateway's crypto: a bench then also
 * checks that the receiver accepts what WeChat sends. `count` pushes of `users` openids in turn,
 * each with its own MsgId starting at `firstMsgId`.
 */
export function signedPushes(
  account: PushAccount,
  options: { count: number; users: number; firstMsgId: bigint },
): SignedPush[] {
  const ctx: SealContext = {
    mode: account.mode,
    token: account.token,
    key: account.mode === 'plain' ? undefined : aesKeyOf(account.encodingAESKey),
    appid: account.appid,
    originalId: 'gh_0b0be00c0001',
  };
  const created = String(Math.floor(Date.now() / 1000));
  const pushes: SignedPush[] = [];
  for (let i = 0; i < options.count; i++) {
    const openid = benchOpenid(i % options.users);
    const msgId = String(options.firstMsgId + BigInt(i));
    const sealed = sealPush(
      [
        ['ToUserName', ctx.originalId, 'cdata'],
        ['FromUserName', openid, 'cdata'],
        ['CreateTime', created, 'bare'],
        ['MsgType', 'text', 'cdata'],
        ['Content', `bench push ${msgId}`, 'cdata'],
        ['MsgId', msgId, 'bare'],
      ],
      ctx,
    );
    const path = `/callback/${account.appid}`;
    pushes.push({
      appid: account.appid,
      openid,
      msgId,
      request: () => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const nonce = String(randomBytes(4).readUInt32BE());
        return {
          method: 'POST',
          path: `${path}?${pushQuery(sealed, ctx, openid, timestamp, nonce)}`,
          headers: { 'content-type': 'text/xml' },
          body: sealed.body,
        };
      },
    });
  }
  return pushes;
}

/** A 28-character openid like WeChat's, numbered. */
export function benchOpenid(n: number): string {
  return `oBench${String(n).padStart(22, '0')}`;
}
