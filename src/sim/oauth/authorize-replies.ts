import type { FastifyReply, FastifyRequest } from 'fastify';
import { errmsgFor } from '../../wechat/errcodes.js';
import { originOf } from '../http/origin.js';
import { rawQuery } from '../http/params.js';
import type { RawBody } from '../http/raw-body.js';
import { newOpenid } from '../ids.js';
import type { SimState } from '../state/sim-state.js';
import {
  AUTHORIZE_ORDER,
  type AuthorizeFlow,
  type AuthorizeRequest,
  checkAuthorize,
  parseOrderedQuery,
  redirectWith,
} from './authorize-request.js';
import { errorPage } from './html.js';

const HTML = 'text/html; charset=utf-8';

/** A request header's first value, trimmed; undefined when absent or blank. */
export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/** WeChat shows errors on a 200 HTML page; `X-Sim-Errcode` gives scripts the code. */
export function wechatErrorPage(
  sim: SimState,
  reply: FastifyReply,
  errcode: number,
  detail: string,
): FastifyReply {
  sim.stats.recordError(errcode);
  return reply
    .code(200)
    .header('content-type', HTML)
    .header('cache-control', 'no-store')
    .header('x-sim-errcode', String(errcode))
    .send(errorPage(errcode, errmsgFor(errcode), detail));
}

/** A misuse of the simulator's own controls (not a WeChat behaviour): HTTP 400. */
export function simErrorPage(reply: FastifyReply, detail: string): FastifyReply {
  return reply
    .code(400)
    .header('content-type', HTML)
    .header('cache-control', 'no-store')
    .send(errorPage(400, 'WeChat simulator: bad request', detail));
}

/** The user refused: back to redirect_uri with the state and no code. */
export function deny(reply: FastifyReply, request: AuthorizeRequest): FastifyReply {
  return reply
    .header('cache-control', 'no-store')
    .redirect(redirectWith(request.redirectUri, [['state', request.state]]), 302);
}

/**
 * The user agreed: a code for that user (a snapshot-page virtual user when `openid` is
 * undefined), back to redirect_uri with the code and the state.
 */
export function allow(
  sim: SimState,
  reply: FastifyReply,
  request: AuthorizeRequest,
  openid: string | undefined,
): FastifyReply {
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

/**
 * A page's form decision (`POST …/confirm`): the link is checked again (its order is the form's,
 * so not checked), then allow as the picked user, deny, or (authorize only) a snapshot user.
 */
export function confirm(
  sim: SimState,
  request: FastifyRequest,
  reply: FastifyReply,
  flow: AuthorizeFlow,
): FastifyReply {
  const form = new URLSearchParams((request.body as RawBody | undefined)?.text ?? '');
  const pairs: Array<[string, string]> = [];
  for (const name of AUTHORIZE_ORDER) {
    const value = form.get(name);
    if (value !== null) pairs.push([name, value]);
  }
  const check = checkAuthorize(pairs, sim.accounts, { checkOrder: false, flow });
  if (!check.ok) return wechatErrorPage(sim, reply, check.errcode, check.detail);
  if (form.get('action') === 'deny') return deny(reply, check.request);
  if (flow === 'authorize' && form.get('snapshot') === '1')
    return allow(sim, reply, check.request, undefined);
  const openid = form.get('openid');
  if (!openid) {
    return simErrorPage(
      reply,
      `pick a simulated user${flow === 'authorize' ? ', or tick the snapshot-user box' : ''}`,
    );
  }
  return allow(sim, reply, check.request, openid);
}

/**
 * The GET of an authorize or qrconnect link: checked as WeChat does (strict parameter order),
 * then answered at once for scripts (`X-Sim-Action: deny`, `X-Sim-User: OPENID`, and on the
 * authorize page `X-Sim-Snapshot: 1`), else the page a person clicks through.
 */
export function answerLink(
  sim: SimState,
  request: FastifyRequest,
  reply: FastifyReply,
  flow: AuthorizeFlow,
  renderPage: (request: AuthorizeRequest, origin: string) => string,
): FastifyReply {
  const pairs = parseOrderedQuery(rawQuery(request.url));
  if (!pairs) return wechatErrorPage(sim, reply, 10005, 'the query string is not valid percent-encoding');
  const check = checkAuthorize(pairs, sim.accounts, { checkOrder: true, flow });
  if (!check.ok) return wechatErrorPage(sim, reply, check.errcode, check.detail);
  const action = header(request, 'x-sim-action')?.toLowerCase();
  if (action === 'deny') return deny(reply, check.request);
  if (flow === 'authorize' && header(request, 'x-sim-snapshot') === '1') {
    return allow(sim, reply, check.request, undefined);
  }
  const openid = header(request, 'x-sim-user');
  if (openid !== undefined) return allow(sim, reply, check.request, openid);
  if (action !== undefined) {
    const needs = flow === 'authorize' ? 'X-Sim-User: OPENID or X-Sim-Snapshot: 1' : 'X-Sim-User: OPENID';
    return simErrorPage(reply, `X-Sim-Action: ${action} needs ${needs}`);
  }
  return reply
    .code(200)
    .header('content-type', HTML)
    .header('cache-control', 'no-store')
    .send(renderPage(check.request, originOf(sim, request)));
}
