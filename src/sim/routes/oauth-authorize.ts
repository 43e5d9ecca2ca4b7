import type { FastifyPluginCallback } from 'fastify';
import { PATHS } from '../../wechat/paths.js';
import { wechatRoute } from '../http/wechat-route.js';
import { answerLink, confirm } from '../oauth/authorize-replies.js';
import { CONFIRM_PATH, consentPage } from '../oauth/consent-page.js';
import { QRCONNECT_CONFIRM_PATH, qrconnectPage } from '../oauth/qrconnect-page.js';
import type { SimState } from '../state/sim-state.js';

/**
 * The authorization host. `GET /connect/oauth2/authorize` (an Official Account's web
 * authorization) checks the link as WeChat does and shows a consent page, or answers at once for
 * scripts sending `X-Sim-User`, `X-Sim-Action`, `X-Sim-Snapshot`; the page posts to
 * `/connect/oauth2/authorize/confirm`. `GET /connect/qrconnect` (a website app's QR login) does
 * the same with a QR page and a list of users to scan as; it posts to `/connect/qrconnect/confirm`.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 * @see https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
 */
export const authorizeRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  wechatRoute(app, sim, PATHS.authorize, (request, reply) =>
    answerLink(sim, request, reply, 'authorize', consentPage),
  );
  app.post(CONFIRM_PATH, (request, reply) => confirm(sim, request, reply, 'authorize'));

  wechatRoute(app, sim, PATHS.qrconnect, (request, reply) =>
    answerLink(sim, request, reply, 'qrconnect', qrconnectPage),
  );
  app.post(QRCONNECT_CONFIRM_PATH, (request, reply) => confirm(sim, request, reply, 'qrconnect'));

  done();
};
