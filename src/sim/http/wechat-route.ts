import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PATHS } from '../../wechat/paths.js';
import type { Fault } from '../faults.js';
import type { SimState } from '../state/sim-state.js';
import { param } from './params.js';
import { jsonObject } from './raw-body.js';
import { replyError, WECHAT_JSON } from './wechat-reply.js';

/** The method each WeChat path answers; another method gets 43001 / 43002 like WeChat. */
export const WECHAT_METHODS: ReadonlyMap<string, 'GET' | 'POST'> = new Map([
  [PATHS.token, 'GET'],
  [PATHS.stableToken, 'POST'],
  [PATHS.ticket, 'GET'],
  [PATHS.userInfo, 'GET'],
  [PATHS.userBatchGet, 'POST'],
  [PATHS.userList, 'GET'],
  [PATHS.clearQuota, 'POST'],
  [PATHS.clearQuotaV2, 'POST'],
  [PATHS.quotaGet, 'POST'],
  [PATHS.oauthAccessToken, 'GET'],
  [PATHS.oauthRefreshToken, 'GET'],
  [PATHS.snsUserInfo, 'GET'],
  [PATHS.snsAuth, 'GET'],
  [PATHS.qrcodeCreate, 'POST'],
  [PATHS.showQrcode, 'GET'],
  [PATHS.customSend, 'POST'],
  [PATHS.customTyping, 'POST'],
  [PATHS.callbackIp, 'GET'],
  [PATHS.authorize, 'GET'],
  [PATHS.qrconnect, 'GET'],
]);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The WeChat path a route stands for (stats and faults key on it). */
    wxPath?: string;
  }
}

/** A WeChat handler: answers through `reply` (its return value is ignored). */
export type WeChatHandler = (request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Registers a WeChat route. Before the handler, the call is counted (per path and per account)
 * and the first matching fault, if any, is injected. This is a plain wrapper rather than a
 * preHandler hook: it is the hot path, and a wrapper costs less than Fastify's hook runner.
 */
export function wechatRoute(app: FastifyInstance, sim: SimState, path: string, handler: WeChatHandler): void {
  const method = WECHAT_METHODS.get(path);
  if (!method) throw new Error(`not a WeChat path: ${path}`);
  app.route({
    method,
    url: path,
    config: { wxPath: path },
    handler: (request, reply) => {
      sim.stats.recordCall(path);
      const appid = requestAppid(sim, request);
      if (appid !== undefined) sim.stats.recordAppid(appid, path);
      const fault = sim.faults.size === 0 ? undefined : sim.faults.pick(path, appid);
      if (fault) injectFault(sim, fault, request, reply, () => handler(request, reply));
      else handler(request, reply);
    },
  });
}

/** The account a call is about: its token's account, else its appid parameter or body field. */
export function requestAppid(sim: SimState, request: FastifyRequest): string | undefined {
  const token = param(request, 'access_token');
  if (token) {
    const owner = sim.tokens.lookup(token)?.appid ?? sim.grants.webTokens.get(token)?.appid;
    if (owner) return owner;
  }
  const appid = param(request, 'appid') ?? jsonObject(request.body)?.appid;
  return typeof appid === 'string' && sim.accounts.get(appid) ? appid : undefined;
}

function contentTypeOf(body: string): string {
  const head = body.trimStart()[0];
  if (head === '<') return 'text/html; charset=utf-8';
  if (head === '{' || head === '[') return WECHAT_JSON;
  return 'text/plain; charset=utf-8';
}

function injectFault(
  sim: SimState,
  fault: Fault,
  request: FastifyRequest,
  reply: FastifyReply,
  proceed: () => void,
): void {
  if (fault.hang) {
    // Never answer: the socket is held until the client gives up or the server closes.
    reply.hijack();
    const socket = request.raw.socket;
    sim.held.add(socket);
    socket.once('close', () => sim.held.delete(socket));
    return;
  }
  const act = (): void => {
    if (fault.body !== undefined) {
      reply
        .code(fault.httpStatus ?? 200)
        .header('content-type', contentTypeOf(fault.body))
        .send(fault.body);
    } else if (fault.errcode !== undefined) {
      replyError(sim, reply, fault.errcode, { status: fault.httpStatus ?? 200 });
    } else if (fault.httpStatus !== undefined) {
      reply.code(fault.httpStatus).header('content-type', 'text/plain; charset=utf-8').send('');
    } else {
      proceed();
    }
  };
  if (fault.delayMs) {
    const timer = setTimeout(() => {
      sim.timers.delete(timer);
      // Outside Fastify's call stack now: hand a throw to the error handler instead of crashing.
      try {
        act();
      } catch (err) {
        reply.send(err instanceof Error ? err : new Error(String(err)));
      }
    }, fault.delayMs);
    sim.timers.add(timer);
  } else {
    act();
  }
}
