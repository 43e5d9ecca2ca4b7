import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { type ErrorCode, isWxhubError, WxhubError } from '../../errors/index.js';
import { sendProblem } from '../../oauth/pages.js';
import { parseCookies, serializeCookie } from '../../web/http/cookies.js';
import { FOLLOW_ID_PATTERN, FOLLOW_LOGIN_PREFIX, type FollowLogin } from './follow-login.js';
import { expiredPage, FOLLOW_CSP, otherBrowserPage, waitingPage } from './follow-pages.js';
import { followPageSchema, followStatusSchema } from './follow-schemas.js';

/** The binding cookie, scoped to one login's page (`Path=/login/follow/ID`). */
export const FOLLOW_COOKIE = 'wxhub_follow';

export interface FollowRoutesOptions {
  readonly follow: FollowLogin;
  /** The account's display name for the page, when it has one. */
  readonly accountName: (appid: string) => string | undefined;
  /** The hub's public base URL: its path prefixes the cookie's path behind a proxy. */
  readonly publicUrl?: string;
}

/**
 * `GET /login/follow/:id` (the page) and `GET /login/follow/:id/status` (JSON for a poller): the
 * browser side of FollowLogin. No key: the binding cookie set by the page's first, claiming
 * request is what lets a browser through. See docs/oidc.md.
 */
export const followLoginRoutes: FastifyPluginAsync<FollowRoutesOptions> = async (plain, options) => {
  const { follow } = options;
  const prefixPath = options.publicUrl ? new URL(options.publicUrl).pathname.replace(/\/$/, '') : '';
  const binding = (request: FastifyRequest) => parseCookies(request.headers.cookie).get(FOLLOW_COOKIE);
  const secure = (request: FastifyRequest) =>
    (options.publicUrl ?? '').startsWith('https:') || request.protocol === 'https';

  const sendPage = (reply: FastifyReply, status: number, body: string, code?: ErrorCode) => {
    reply
      .code(status)
      .header('cache-control', 'no-store')
      .header('content-security-policy', FOLLOW_CSP)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      // The claim is in the first URL: never let it leave in a Referer (the image is on WeChat's host).
      .header('referrer-policy', 'no-referrer');
    if (code) reply.header('x-wxhub-error', code);
    return reply.type('text/html; charset=utf-8').send(body);
  };

  await plain.register(async (pages) => {
    const app = pages.withTypeProvider<ZodTypeProvider>();
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const invalid = isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT');
      const code: ErrorCode = isWxhubError(err) ? err.code : 'WXHUB_ERR_INTERNAL';
      if (!invalid) request.log.error({ code, err: String(err?.message) }, 'follow-to-log-in page failed');
      return sendProblem(request, reply, {
        code,
        ...(invalid
          ? { zh: '登录链接无效', en: 'This login link is not valid' }
          : {
              zh: '登录服务暂时不可用，请稍后重试',
              en: 'Logging in is not possible just now: please try again in a moment',
            }),
      });
    });

    app.get(`${FOLLOW_LOGIN_PREFIX}/:id`, { schema: followPageSchema }, async (request, reply) => {
      const { id } = request.params;
      const { claim } = request.query;
      // Never echo a malformed id into a Location (`%2F%2Fevil.example` decodes to `//evil.example`).
      if (!FOLLOW_ID_PATTERN.test(id)) {
        return sendPage(reply, 410, expiredPage(undefined), 'WXHUB_ERR_FOLLOW_LOGIN_EXPIRED');
      }
      if (claim !== undefined) {
        const record = await follow.claim(id, claim);
        if (record) {
          reply.header(
            'set-cookie',
            serializeCookie(FOLLOW_COOKIE, claim, {
              path: `${prefixPath}${FOLLOW_LOGIN_PREFIX}/${id}`,
              maxAge: follow.cookieSeconds(record),
              sameSite: 'Lax',
              secure: secure(request),
            }),
          );
        }
        // Relative: `ID` from `/…/login/follow/ID?claim=` is the page itself, behind any prefix.
        return reply
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .redirect(id, 303);
      }
      const view = await follow.view(id, binding(request));
      if (!view) return sendPage(reply, 410, expiredPage(undefined), 'WXHUB_ERR_FOLLOW_LOGIN_EXPIRED');
      if (!view.bound) return sendPage(reply, 403, otherBrowserPage(), 'WXHUB_ERR_FOLLOW_LOGIN_BROWSER');
      if (view.status === 'scanned') {
        return reply.header('cache-control', 'no-store').redirect(view.record.continueUrl, 302);
      }
      if (view.status === 'expired') {
        return sendPage(reply, 410, expiredPage(view.record.continueUrl), 'WXHUB_ERR_FOLLOW_LOGIN_EXPIRED');
      }
      return sendPage(
        reply,
        200,
        waitingPage({
          accountName: options.accountName(view.record.appid),
          ticket: view.record.ticket,
          imageUrl: follow.imageUrl(view.record.ticket),
          statusUrl: `${id}/status`,
          expiresAt: view.record.expiresAt,
          now: view.now,
        }),
      );
    });
  });

  await plain.register(async (json) => {
    const app = json.withTypeProvider<ZodTypeProvider>();
    app.get(`${FOLLOW_LOGIN_PREFIX}/:id/status`, { schema: followStatusSchema }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const view = await follow.view(request.params.id, binding(request));
      if (!view) throw new WxhubError('WXHUB_ERR_FOLLOW_LOGIN_EXPIRED');
      if (!view.bound) throw new WxhubError('WXHUB_ERR_FOLLOW_LOGIN_BROWSER');
      return { status: view.status, expires_at: new Date(view.record.expiresAt).toISOString() };
    });
  });
};
