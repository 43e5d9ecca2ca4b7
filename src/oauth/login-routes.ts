import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { OAuthScope } from '../db/index.js';
import { type ErrorCode, isWxhubError } from '../errors/index.js';
import { redactUrl } from '../http/index.js';
import { invalidField } from '../server/index.js';
import { completeLogin } from './complete-login.js';
import { type LoginLimiter, refuseLoginFlood } from './login-limit.js';
import { cookieStates, type LoginState, putState, stateCookie, takeState } from './login-state.js';
import type { OAuthContext } from './oauth-context.js';
import { callbackSchema, loginSchema } from './oauth-schemas.js';
import { type LoginProblem, sendProblem } from './pages.js';
import { appendParam, checkReturnTo } from './return-to.js';
import { issueTicket } from './tickets.js';

/** What the browser routes need: the login context and a limiter for login starts. */
export interface LoginRoutesOptions {
  readonly login: OAuthContext;
  /** Takes one login start from a client address's bucket, under `oauth.loginRateLimit`. */
  readonly limiter: LoginLimiter;
}

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

const relogin = {
  zh: '登录已失效，请重新登录',
  en: 'This login has expired or was already used: please log in again',
};

type Problem = Omit<LoginProblem, 'detail' | 'restartUrl'>;

/** The page for a query the route schema refused, by the field it named. */
const FIELD_PROBLEMS: Readonly<Record<string, Problem>> = {
  return_to: {
    code: 'WXHUB_ERR_OAUTH_RETURN_TO',
    zh: '登录链接的返回地址不被允许',
    en: 'This login link would return to a page that is not allowed',
  },
  scope: { code: 'WXHUB_ERR_INVALID_ARGUMENT', zh: '登录链接无效', en: 'This login link is not valid' },
  state: { code: 'WXHUB_ERR_OAUTH_STATE', ...relogin },
  code: { code: 'WXHUB_ERR_OAUTH_CODE', ...relogin },
};

/**
 * `GET /oauth/:appid/login` and `GET /oauth/:appid/callback`: the two pages a person's browser
 * goes through (no key). Whatever goes wrong is a bilingual page (or the `/v1` error body for a
 * JSON caller) with the registry code and no internals: a failing store or database is "try
 * again", never its path or host. See docs/login.md.
 */
export const loginRoutes: FastifyPluginAsync<LoginRoutesOptions> = async (plain, options) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { login, limiter } = options;
  const { store, clock, oauth, publicUrl } = login;
  const stateTtlMs = oauth.stateTtlSeconds * 1000;
  const ticketTtlMs = oauth.ticketTtlSeconds * 1000;

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const field = isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT') ? invalidField(err) : undefined;
    const problem = field === undefined ? undefined : FIELD_PROBLEMS[field];
    if (problem) return sendProblem(request, reply, { ...problem, detail: err.validation?.[0]?.message });
    const code: ErrorCode = isWxhubError(err) ? err.code : 'WXHUB_ERR_INTERNAL';
    request.log.error(
      { appid: (request.params as { appid?: string }).appid, code, err: redactUrl(String(err?.message)) },
      'login page failed',
    );
    return sendProblem(request, reply, {
      code,
      zh: '登录服务暂时不可用，请稍后重试',
      en: 'Logging in is not possible just now: please try again in a moment',
    });
  });

  /** Answers 404 for an account the hub does not serve, before the query is even looked at. */
  const knownAccount = async (request: FastifyRequest, reply: FastifyReply) => {
    const { appid } = request.params as { appid: string };
    if (login.account(appid)) return;
    return sendProblem(request, reply, {
      code: 'WXHUB_ERR_UNKNOWN_ACCOUNT',
      zh: '没有这个公众号',
      en: 'This hub serves no such account',
      detail: appid.slice(0, 64),
    });
  };

  const baseUrl = (request: FastifyRequest): string | null => {
    if (publicUrl) return publicUrl;
    const host = request.host;
    return HOST.test(host) ? `${request.protocol}://${host}` : null;
  };

  const restartUrl = (state: LoginState) =>
    `${publicUrl ?? ''}/oauth/${state.appid}/login?return_to=${encodeURIComponent(state.returnTo)}&scope=${state.scope}`;

  const cookieOptions = (request: FastifyRequest, appid: string) => ({
    path: `/oauth/${appid}/`,
    maxAgeSeconds: oauth.stateTtlSeconds,
    secure: (publicUrl ?? '').startsWith('https:') || request.protocol === 'https',
  });

  app.get('/oauth/:appid/login', { schema: loginSchema, onRequest: knownAccount }, async (request, reply) => {
    const { appid } = request.params;
    const account = login.account(appid)!;
    const scope: OAuthScope = request.query.scope ?? account.oauth.defaultScope;
    const checked = checkReturnTo(request.query.return_to, login.returnTo(appid));
    if (!checked.ok)
      return sendProblem(request, reply, { ...FIELD_PROBLEMS.return_to!, detail: checked.reason });
    const base = baseUrl(request);
    if (!base) {
      return sendProblem(request, reply, {
        code: 'WXHUB_ERR_INVALID_ARGUMENT',
        zh: '请求的 Host 无效',
        en: 'The request has an invalid Host header',
        detail: 'set publicUrl in the configuration behind a proxy',
      });
    }
    const refused = refuseLoginFlood(limiter, oauth.loginRateLimit, request, reply);
    if (refused) return refused;
    const state = await putState(
      store,
      { appid, returnTo: checked.url, scope, startedAt: clock.now() },
      stateTtlMs,
    );
    const location = login.client(appid).oauth.authorizeUrl({
      redirectUri: `${base}/oauth/${appid}/callback`,
      scope,
      state,
    });
    const inFlight = cookieStates(request.headers.cookie);
    return reply
      .header('cache-control', 'no-store')
      .header('set-cookie', stateCookie([...inFlight, state], cookieOptions(request, appid)))
      .redirect(location, 302);
  });

  app.get(
    '/oauth/:appid/callback',
    { schema: callbackSchema, onRequest: knownAccount },
    async (request, reply) => {
      const { appid } = request.params;
      const { state: presented, code } = request.query;
      const badState = (detail: string) =>
        sendProblem(request, reply, { code: 'WXHUB_ERR_OAUTH_STATE', ...relogin, detail });
      const inFlight = cookieStates(request.headers.cookie);
      if (inFlight.length > 0 && !inFlight.includes(presented))
        return badState('this login was started in another browser');
      const state = await takeState(store, appid, presented);
      if (!state || state.oidcInteraction !== undefined)
        return badState('the state is unknown, used or expired');
      if (inFlight.length > 0) {
        reply.header(
          'set-cookie',
          stateCookie(
            inFlight.filter((s) => s !== presented),
            cookieOptions(request, appid),
          ),
        );
      }
      reply.header('cache-control', 'no-store');
      if (code === undefined || code === '')
        return reply.redirect(appendParam(state.returnTo, 'wxhub_error', 'access_denied'), 302);
      try {
        const body = await completeLogin(login, state, code, request.log);
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
};
