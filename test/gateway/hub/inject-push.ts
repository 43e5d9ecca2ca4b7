import { createHash } from 'node:crypto';
import pino from 'pino';
import { type CreateHubOptions, createHub, type Hub } from '../../../src/hub/index.js';

/** Two accounts: SHOP with a plaintext callback, BARE without one. */
export const SHOP = 'wx1111111111111111';
export const BARE = 'wx2222222222222222';
export const TOKEN = 'MountTok3n';

const sha1 = (...parts: string[]) => createHash('sha1').update(parts.sort().join('')).digest('hex');

/** The signed query of a push or URL check from WeChat, now. */
export function signed(nonce = String(Math.floor(Math.random() * 1e9))) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return { timestamp, nonce, signature: sha1(TOKEN, timestamp, nonce) };
}

/** A plaintext text message from `openid`. */
export const text = (msgId: string, openid = 'oUser', content = 'hi') =>
  `<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`;

/** Pushes `xml` to SHOP's callback of `hub` as WeChat would (plaintext mode), by inject. */
export function push(hub: Hub, xml: string, openid = 'oUser') {
  return hub.app.inject({
    method: 'POST',
    url: `/callback/${SHOP}?${new URLSearchParams({ ...signed(), openid })}`,
    payload: xml,
    headers: { 'content-type': 'text/xml' },
  });
}

/** A hub in memory with SHOP (plaintext callback) and BARE, not listening. */
export function injectHub(extra: Partial<CreateHubOptions> & { config?: Record<string, unknown> } = {}) {
  return createHub({
    logger: pino({ level: 'silent' }),
    proactiveRefresh: false,
    ...extra,
    config: {
      store: 'memory:',
      database: 'memory:',
      accounts: [
        { appid: SHOP, secret: 's', callback: { token: TOKEN, mode: 'plain' } },
        { appid: BARE, secret: 's' },
      ],
      ...extra.config,
    },
  });
}
