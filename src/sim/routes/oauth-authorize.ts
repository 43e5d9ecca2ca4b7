import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { errmsgFor } from '../../wechat/errcodes.js';
import { PATHS } from '../../wechat/paths.js';
import { originOf } from '../http/origin.js';
import { rawQuery } from '../http/params.js';
import type { RawBody } from '../http/raw-body.js';
import { wechatRoute } from '../http/wechat-route.js';
import { newOpenid } from '../ids.js';
import {
  type AuthorizeRequest,
  checkAuthorize,
  parseOrderedQuery,
  redirectWith,
} from '../oauth/authorize-request.js';
import { CONFIRM_PATH, consentPage } from '../oauth/consent-page.js';
import { errorPage } from '../oauth/html.js';
import type { SimState } from '../state/sim-state.js';

const HTML = 'text/html; charset=utf-8';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/**
 * The authorization host: `GET /connect/oauth2/authorize` checks the link as WeChat does and
 * shows a consent page (or answers at once for scripts sending `X-Sim-User`, `X-Sim-Action`,
 * `X-Sim-Snapshot`); the page posts to `/connect/oauth2/authorize/confirm`.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export const authorizeRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  /** WeChat shows errors on a 200 HTML page; `X-Sim-Errcode` gives scripts the code. */
  function wechatErrorPage(reply: FastifyReply, errcode: number, detail: string): FastifyReply {
    sim.stats.recordError(errcode);
    return reply
      .code(200)
      .header('content-type', HTML)
      .header('cache-control', 'no-store')
      .header('x-sim-errcode', String(errcode))
      .send(errorPage(errcode, errmsgFor(errcode), detail));
  }

  /** A misuse of the simulator's own controls (not a WeChat behaviour): HTTP 400. */
  function simErrorPage(reply: FastifyReply, detail: string): FastifyReply {
    return reply
      .code(400)
      .header('content-type', HTML)
      .header('cache-control', 'no-store')
      .send(errorPage(400, 'WeChat simulator: bad request', detail));
  }

  function deny(reply: FastifyReply, request: AuthorizeRequest): FastifyReply {
    return reply
      .header('cache-control', 'no-store')
      .redirect(redirectWith(request.redirectUri, [['state', request.state]]), 302);
  }

  function allow(reply: FastifyReply, request: AuthorizeRequest, openid: string | undefined): FastifyReply {
    const { account } = request;
    const user = openid === undefined ? undefined : account.user(openid);
    if (openid !== undefined && !user) {
      return simErrorPage(
        reply,
        `${openid} is not a user of ${account.appid}; create it with POST /__sim/accounts/${account.appid}/users`,
      );
    }
    const snapshot = user === undefined;
    const code = sim.grants.issueCode(
      {
        appid: account.appid,
        // A snapshot-page user is virtual: a fresh openid that belongs to no account user.
        openid: user?.openid ?? newOpenid(),
        unionid: user && account.settings.unionBound ? user.unionid : undefined,
        // Snapshot pages only get silent authorization, whatever the link asked for.
        scope: snapshot ? 'snsapi_base' : request.scope,
        snapshot,
      },
      sim.now(),
    );
    const location = redirectWith(request.redirectUri, [
      ['code', code.code],
      ['state', request.state],
    ]);
    return reply.header('cache-control', 'no-store').redirect(location, 302);
  }

  wechatRoute(app, sim, PATHS.authorize, (request, reply) => {
    const pairs = parseOrderedQuery(rawQuery(request.url));
    if (!pairs) return wechatErrorPage(reply, 10005, 'the query string is not valid percent-encoding');
    const check = checkAuthorize(pairs, sim.accounts, { checkOrder: true });
    if (!check.ok) return wechatErrorPage(reply, check.errcode, check.detail);
    const action = header(request, 'x-sim-action')?.toLowerCase();
    if (action === 'deny') return deny(reply, check.request);
    if (header(request, 'x-sim-snapshot') === '1') return allow(reply, check.request, undefined);
    const openid = header(request, 'x-sim-user');
    if (openid !== undefined) return allow(reply, check.request, openid);
    if (action !== undefined) {
      return simErrorPage(reply, `X-Sim-Action: ${action} needs X-Sim-User: OPENID or X-Sim-Snapshot: 1`);
    }
    return reply
      .code(200)
      .header('content-type', HTML)
      .header('cache-control', 'no-store')
      .send(consentPage(check.request, originOf(sim, request)));
  });

  app.post(CONFIRM_PATH, (request, reply) => {
    const form = new URLSearchParams((request.body as RawBody | undefined)?.text ?? '');
    const pairs: Array<[string, string]> = [];
    for (const name of ['appid', 'redirect_uri', 'response_type', 'scope', 'state']) {
      const value = form.get(name);
      if (value !== null) pairs.push([name, value]);
    }
    const check = checkAuthorize(pairs, sim.accounts, { checkOrder: false });
    if (!check.ok) return wechatErrorPage(reply, check.errcode, check.detail);
    if (form.get('action') === 'deny') return deny(reply, check.request);
    if (form.get('snapshot') === '1') return allow(reply, check.request, undefined);
    const openid = form.get('openid');
    if (!openid) return simErrorPage(reply, 'pick a simulated user, or tick the snapshot-user box');
    return allow(reply, check.request, openid);
  });

  done();
};
