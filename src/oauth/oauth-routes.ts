import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { OAuthScope } from '../db/index.js';
import { isWxhubError } from '../errors/index.js';
import { redactUrl } from '../http/index.js';
import { parseWith } from '../hub/http/parse-body.js';
import { requireKey } from '../hub/http/v1-auth.js';
import { hasAppid } from '../hub/keys/permissions.js';
import { completeLogin } from './complete-login.js';
import {
  cookieStates,
  type LoginState,
  putState,
  STATE_PATTERN,
  stateCookie,
  takeState,
} from './login-state.js';
import { oauthContext } from './oauth-context.js';
import { sendProblem } from './pages.js';
import { appendParam, checkReturnTo } from './return-to.js';
import { issueTicket, redeemTicket } from './tickets.js';

interface AppidParams {
  appid: string;
}

const SCOPES: readonly OAuthScope[] = ['snsapi_base', 'snsapi_userinfo'];
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

const redeemBody = z.object(
  { ticket: z.string({ error: 'is required (the wxhub_ticket the callback gave)' }).min(1).max(512) },
  { error: 'must be a JSON object' },
);

const relogin = {
  zh: '登录已失效，请重新登录',
  en: 'This login has expired or was already used: please log in again',
};

/**
 * Web login (网页授权) for the business apps: `GET /oauth/:appid/login` sends the browser to
 * WeChat with a server-side state, `GET /oauth/:appid/callback` turns WeChat's code into a bound
 * identity and a single-use ticket on `return_to`, and `POST /v1/oauth/tickets/redeem` (client key,
 * `oauth` scope) trades the ticket for the login's outcome. See docs/login.md.
 */
export const oauthRoutes: FastifyPluginAsync = async (app) => {
  const ctx = await oauthContext(app.hub, app.log);
  const { config, store, clock } = ctx.services;
  const stateTtlMs = config.oauth.stateTtlSeconds * 1000;
  const ticketTtlMs = config.oauth.ticketTtlSeconds * 1000;

  const unknownAccount = (request: FastifyRequest, reply: FastifyReply, appid: string) =>
    sendProblem(request, reply, {
      code: 'WXHUB_ERR_UNKNOWN_ACCOUNT',
      zh: '没有这个公众号',
      en: 'This hub serves no such account',
      detail: appid.slice(0, 64),
    });

  const baseUrl = (request: FastifyRequest): string | null => {
    if (config.publicUrl) return config.publicUrl;
    const host = request.host;
    return HOST.test(host) ? `${request.protocol}://${host}` : null;
  };

  const restartUrl = (state: LoginState) =>
    `${config.publicUrl ?? ''}/oauth/${state.appid}/login?return_to=${encodeURIComponent(state.returnTo)}&scope=${state.scope}`;

  const cookiePath = (appid: string) => `/oauth/${appid}/`;
  const secureCookie = (request: FastifyRequest) =>
    (config.publicUrl ?? '').startsWith('https:') || request.protocol === 'https';

  app.get<{ Params: AppidParams; Querystring: Record<string, unknown> }>(
    '/oauth/:appid/login',
    async (request, reply) => {
      const { appid } = request.params;
      const account = ctx.account(appid);
      if (!account) return unknownAccount(request, reply, appid);
      const query = request.query ?? {};
      const scope = query.scope ?? account.oauth.defaultScope;
      if (typeof scope !== 'string' || !SCOPES.includes(scope as OAuthScope)) {
        return sendProblem(request, reply, {
          code: 'WXHUB_ERR_INVALID_ARGUMENT',
          zh: '登录链接无效',
          en: 'This login link is not valid',
          detail: 'scope must be snsapi_base or snsapi_userinfo',
        });
      }
      const checked = checkReturnTo(query.return_to, ctx.returnTo(appid));
      if (!checked.ok) {
        return sendProblem(request, reply, {
          code: 'WXHUB_ERR_OAUTH_RETURN_TO',
          zh: '登录链接的返回地址不被允许',
          en: 'This login link would return to a page that is not allowed',
          detail: checked.reason,
        });
      }
      const base = baseUrl(request);
      if (!base) {
        return sendProblem(request, reply, {
          code: 'WXHUB_ERR_INVALID_ARGUMENT',
          zh: '请求的 Host 无效',
          en: 'The request has an invalid Host header',
          detail: 'set publicUrl in the configuration behind a proxy',
        });
      }
      const state = await putState(
        store,
        { appid, returnTo: checked.url, scope: scope as OAuthScope, startedAt: clock.now() },
        stateTtlMs,
      );
      const location = ctx.client(appid).oauth.authorizeUrl({
        redirectUri: `${base}/oauth/${appid}/callback`,
        scope: scope as OAuthScope,
        state,
      });
      const inFlight = cookieStates(request.headers.cookie);
      return reply
        .header('cache-control', 'no-store')
        .header(
          'set-cookie',
          stateCookie([...inFlight, state], {
            path: cookiePath(appid),
            maxAgeSeconds: config.oauth.stateTtlSeconds,
            secure: secureCookie(request),
          }),
        )
        .redirect(location, 302);
    },
  );

  app.get<{ Params: AppidParams; Querystring: Record<string, unknown> }>(
    '/oauth/:appid/callback',
    async (request, reply) => {
      const { appid } = request.params;
      if (!ctx.account(appid)) return unknownAccount(request, reply, appid);
      const query = request.query ?? {};
      const stateParam = typeof query.state === 'string' ? query.state : '';
      const badState = (detail: string) =>
        sendProblem(request, reply, { code: 'WXHUB_ERR_OAUTH_STATE', ...relogin, detail });
      if (!STATE_PATTERN.test(stateParam)) return badState('the callback carries no valid state');
      const inFlight = cookieStates(request.headers.cookie);
      if (inFlight.length > 0 && !inFlight.includes(stateParam))
        return badState('this login was started in another browser');
      const state = await takeState(store, stateParam);
      if (!state) return badState('the state is unknown, used or expired');
      if (state.appid !== appid) return badState('the state belongs to another account');
      if (inFlight.length > 0) {
        reply.header(
          'set-cookie',
          stateCookie(
            inFlight.filter((s) => s !== stateParam),
            {
              path: cookiePath(appid),
              maxAgeSeconds: config.oauth.stateTtlSeconds,
              secure: secureCookie(request),
            },
          ),
        );
      }
      reply.header('cache-control', 'no-store');
      const code = query.code;
      if (code === undefined || code === '')
        return reply.redirect(appendParam(state.returnTo, 'wxhub_error', 'access_denied'), 302);
      if (typeof code !== 'string' || code.length > 512) {
        return sendProblem(request, reply, {
          code: 'WXHUB_ERR_OAUTH_CODE',
          ...relogin,
          detail: 'the callback carries a malformed code',
          restartUrl: restartUrl(state),
        });
      }
      try {
        const body = await completeLogin(ctx, state, code, request.log);
        const ticket = await issueTicket(store, appid, body, ticketTtlMs, clock);
        return reply.redirect(appendParam(state.returnTo, 'wxhub_ticket', ticket), 302);
      } catch (err) {
        if (isWxhubError(err, 'WXHUB_ERR_OAUTH_CODE')) {
          return sendProblem(request, reply, {
            code: 'WXHUB_ERR_OAUTH_CODE',
            ...relogin,
            restartUrl: restartUrl(state),
          });
        }
        if (isWxhubError(err, 'WXHUB_ERR_OAUTH_UPSTREAM')) {
          return sendProblem(request, reply, {
            code: 'WXHUB_ERR_OAUTH_UPSTREAM',
            zh: '微信暂时无法完成登录，请重试',
            en: 'WeChat could not complete the login just now: please try again',
            restartUrl: restartUrl(state),
          });
        }
        request.log.error(
          {
            appid,
            code: isWxhubError(err) ? err.code : undefined,
            err: err instanceof Error ? redactUrl(`${err.name}: ${err.message}`) : 'error',
          },
          'login failed',
        );
        return sendProblem(request, reply, {
          code: isWxhubError(err) ? err.code : 'WXHUB_ERR_INTERNAL',
          zh: '登录失败，请重试',
          en: 'The login failed: please try again',
          restartUrl: restartUrl(state),
        });
      }
    },
  );

  app.post('/v1/oauth/tickets/redeem', { onRequest: requireKey('oauth') }, async (request) => {
    const { ticket } = parseWith(redeemBody, request.body, 'body');
    const key = request.clientKey!;
    return redeemTicket(store, ticket, clock, (appid) => hasAppid(key, appid));
  });
};
