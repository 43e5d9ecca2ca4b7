import type { FastifyPluginCallback } from 'fastify';
import { PATHS } from '../../wechat/paths.js';
import { requireGlobalToken } from '../http/access-token.js';
import { requireJsonBody } from '../http/json-body.js';
import { param } from '../http/params.js';
import { replyError, replyJson } from '../http/wechat-reply.js';
import { wechatRoute } from '../http/wechat-route.js';
import { qrPng } from '../qr-image.js';
import { isPermanent, QR_MAX_EXPIRE_SECONDS, type QrAction } from '../state/qrcodes.js';
import { dailyLimit } from '../state/quotas.js';
import type { SimState } from '../state/sim-state.js';

const ACTIONS: ReadonlySet<string> = new Set([
  'QR_SCENE',
  'QR_STR_SCENE',
  'QR_LIMIT_SCENE',
  'QR_LIMIT_STR_SCENE',
]);
/** A temporary code's lifetime when the call gives none. */
export const QR_DEFAULT_EXPIRE_SECONDS = 60;
/** Permanent number scenes are 1–100000; temporary ones any non-zero 32-bit integer. */
const PERMANENT_SCENE_MAX = 100_000;
const TEMPORARY_SCENE_MAX = 0xffff_ffff;
const SCENE_STR_MAX = 64;

/** The scene of a create call, or undefined when it does not fit the action (40053). */
function sceneOf(action: QrAction, info: unknown): number | string | undefined {
  const scene = (info as { scene?: unknown } | null | undefined)?.scene as
    | Record<string, unknown>
    | undefined;
  if (typeof scene !== 'object' || scene === null) return undefined;
  if (action === 'QR_STR_SCENE' || action === 'QR_LIMIT_STR_SCENE') {
    const value = scene.scene_str;
    return typeof value === 'string' && value.length >= 1 && value.length <= SCENE_STR_MAX
      ? value
      : undefined;
  }
  const value = scene.scene_id;
  const max = isPermanent(action) ? PERMANENT_SCENE_MAX : TEMPORARY_SCENE_MAX;
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= max
    ? (value as number)
    : undefined;
}

/**
 * Parametric QR codes: `POST /cgi-bin/qrcode/create` and the image, `GET /cgi-bin/showqrcode`
 * (mp.weixin.qq.com, no token). Scanning one is `POST /__sim/qrcodes/:ticket/scan`.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
 */
export const qrcodeRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  const limit = dailyLimit(PATHS.qrcodeCreate, 0);

  wechatRoute(app, sim, PATHS.qrcodeCreate, (request, reply) => {
    const auth = requireGlobalToken(sim, request, reply);
    if (!auth) return reply;
    const body = requireJsonBody(sim, request, reply);
    if (!body) return reply;
    const action = body.action_name;
    if (typeof action !== 'string' || !ACTIONS.has(action)) return replyError(sim, reply, 40052);
    const scene = sceneOf(action as QrAction, body.action_info);
    if (scene === undefined) return replyError(sim, reply, 40053);
    const permanent = isPermanent(action as QrAction);
    let expireSeconds = QR_DEFAULT_EXPIRE_SECONDS;
    if (!permanent && body.expire_seconds !== undefined) {
      const value = body.expire_seconds;
      if (!Number.isSafeInteger(value) || (value as number) < 1) return replyError(sim, reply, 40097);
      // Longer asks get the 30-day maximum.
      expireSeconds = Math.min(value as number, QR_MAX_EXPIRE_SECONDS);
    }
    const now = sim.now();
    if (!sim.quotas.tryConsume(auth.account.appid, PATHS.qrcodeCreate, limit, now)) {
      return replyError(sim, reply, 45009);
    }
    const code = sim.qrcodes.create(auth.account.appid, action as QrAction, scene, expireSeconds, now);
    return replyJson(
      reply,
      permanent
        ? { ticket: code.ticket, url: code.url }
        : { ticket: code.ticket, expire_seconds: expireSeconds, url: code.url },
    );
  });

  wechatRoute(app, sim, PATHS.showQrcode, (request, reply) => {
    const ticket = param(request, 'ticket');
    const code = ticket === undefined ? undefined : sim.qrcodes.get(ticket);
    // WeChat answers an unknown, expired or mis-encoded ticket with a bare 404.
    if (!code || code.expiresAt <= sim.now()) {
      return reply.code(404).header('content-type', 'text/plain; charset=utf-8').send('');
    }
    return reply
      .header('content-type', 'image/png')
      .header('cache-control', 'no-store')
      .send(qrPng(code.url));
  });

  done();
};
