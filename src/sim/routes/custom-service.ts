import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { PATHS } from '../../wechat/paths.js';
import { requireGlobalToken } from '../http/access-token.js';
import { requireJsonBody } from '../http/json-body.js';
import { OK_BODY, replyError, replyJson } from '../http/wechat-reply.js';
import { wechatRoute } from '../http/wechat-route.js';
import { conversationOf } from '../state/account.js';
import { dailyLimit } from '../state/quotas.js';
import type { SimState } from '../state/sim-state.js';

/** The string fields each customer-service message type must carry in its object. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  text: ['content'],
  image: ['media_id'],
  voice: ['media_id'],
  video: ['media_id', 'thumb_media_id'],
  music: ['musicurl', 'hqmusicurl', 'thumb_media_id'],
  news: [],
  mpnews: ['media_id'],
  mpnewsarticle: ['article_id'],
  msgmenu: [],
  wxcard: ['card_id'],
  miniprogrampage: ['title', 'appid', 'pagepath', 'thumb_media_id'],
};

/** Where the simulator's pushes come from: the loopback (WeChat lists its own ranges). */
export const CALLBACK_IP_LIST = ['127.0.0.0/8', '::1/128'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The errcode a message object's shape earns (0 when it is well formed). */
function shapeError(msgtype: string, message: Record<string, unknown>): number {
  if (msgtype === 'text' && message.content === '') return 44004;
  for (const field of REQUIRED[msgtype] ?? []) {
    const value = message[field];
    if (typeof value !== 'string' || value === '') return 47001;
  }
  if (msgtype === 'news') {
    const articles = message.articles;
    if (!Array.isArray(articles) || articles.length === 0 || !articles.every(isObject)) return 47001;
    // Customer-service news carries one article since 2018.
    if (articles.length > 1) return 45008;
  }
  if (msgtype === 'msgmenu') {
    const list = message.list;
    if (!Array.isArray(list) || list.length === 0) return 47001;
    if (
      !list.every((item) => isObject(item) && typeof item.id === 'string' && typeof item.content === 'string')
    ) {
      return 47001;
    }
  }
  return 0;
}

/**
 * Customer-service messages (客服消息): `POST /cgi-bin/message/custom/send` and
 * `/cgi-bin/message/custom/typing`, only inside a window the user opened (a message: 5 within
 * 48 hours; a menu click, a follow or a QR scan: 3 within a minute); and
 * `GET /cgi-bin/getcallbackip`. Sent messages land in the user's inbox.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
 */
export const customServiceRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  const sendLimit = dailyLimit(PATHS.customSend, 0);

  wechatRoute(app, sim, PATHS.customSend, (request, reply) => {
    const auth = requireGlobalToken(sim, request, reply);
    if (!auth) return reply;
    const body = requireJsonBody(sim, request, reply);
    if (!body) return reply;
    const { account } = auth;
    const user = typeof body.touser === 'string' ? account.user(body.touser) : undefined;
    if (!user) return replyError(sim, reply, 40003);
    const msgtype = body.msgtype;
    if (typeof msgtype !== 'string' || !Object.hasOwn(REQUIRED, msgtype))
      return replyError(sim, reply, 40008);
    const message = body[msgtype];
    if (!isObject(message)) return replyError(sim, reply, 47001);
    const shape = shapeError(msgtype, message);
    if (shape !== 0) return replyError(sim, reply, shape);
    const now = sim.now();
    if (user.subscribe === 0) return replyError(sim, reply, 45015);
    if (sim.quotas.used(account.appid, PATHS.customSend, now) >= sendLimit)
      return replyError(sim, reply, 45009);
    const window = conversationOf(user).consume(now);
    if (window !== 0) return replyError(sim, reply, window);
    sim.quotas.tryConsume(account.appid, PATHS.customSend, sendLimit, now);
    const { touser: _touser, ...payload } = body;
    sim.receiveMessage(account.appid, user, {
      at: now,
      source: 'custom',
      msgType: msgtype,
      ...(msgtype === 'text' ? { content: String(message.content) } : {}),
      payload,
    });
    return replyJson(reply, OK_BODY);
  });

  wechatRoute(app, sim, PATHS.customTyping, (request, reply): FastifyReply => {
    const auth = requireGlobalToken(sim, request, reply);
    if (!auth) return reply;
    const body = requireJsonBody(sim, request, reply);
    if (!body) return reply;
    const user = typeof body.touser === 'string' ? auth.account.user(body.touser) : undefined;
    if (!user) return replyError(sim, reply, 40003);
    if (body.command !== 'Typing' && body.command !== 'CancelTyping') return replyError(sim, reply, 40097);
    const now = sim.now();
    // Typing needs the right to send (an open window), not an unused message.
    if (user.subscribe === 0 || !conversationOf(user).isOpen(now)) return replyError(sim, reply, 45015);
    conversationOf(user).typing(body.command === 'Typing', now);
    return replyJson(reply, OK_BODY);
  });

  wechatRoute(app, sim, PATHS.callbackIp, (request, reply) => {
    const auth = requireGlobalToken(sim, request, reply);
    if (!auth) return reply;
    return replyJson(reply, { ip_list: CALLBACK_IP_LIST });
  });

  done();
};
