import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { InteractionResults } from 'oidc-provider';
import { z } from 'zod';
import { isWxhubError } from '../errors/index.js';
import { redactUrl } from '../http/index.js';
import { completeLogin } from '../oauth/complete-login.js';
import { STATE_PATTERN, takeState } from '../oauth/login-state.js';
import { type LoginProblem, sendProblem } from '../oauth/pages.js';
import { INTERACTION_PATH } from './create-provider.js';
import { bindFollowLogin } from './follow-binding.js';
import { openInWeChatPage } from './oidc-pages.js';
import type { OidcService } from './oidc-service.js';
import { isKnownUserConsent, loginRouteFor, pendingTtlMs, wechatAuthorizeUrl } from './wechat-start.js';

type Details = Awaited<ReturnType<ReturnType<OidcService['provider']>['interactionDetails']>>;

const UID = /^[A-Za-z0-9_-]{1,64}$/;
const APPID = /^wx[0-9a-f]{16}$/;
const followKey = (uid: string) => `oidc:follow:${uid}`;

const gone: Omit<LoginProblem, 'detail'> = {
  code: 'WXHUB_ERR_OIDC_INTERACTION',
  zh: '登录已失效，请回到应用重新登录',
  en: 'This login has expired or was already used: go back to the app and log in again',
};

const callbackQuery = z.object({
  code: z.string().max(512).optional(),
  state: z.string().max(256).optional(),
});

/**
 * The login pages of the OpenID Connect provider (`{issuer}/interaction/:uid/...`): where
 * oidc-provider sends the browser when the user must log in, and where WeChat sends it back.
 *
 * - `GET .../interaction/:uid` routes the login (`chooseLoginRoute`): a 302 to WeChat's web
 *   authorization in WeChat's browser, to the website QR login on a desktop with a website app,
 *   to follow-to-log-in when the hub has it, else an "open in WeChat" page. A consent prompt
 *   (a known user, a new client or scope) is granted at once: the clients are the operator's own.
 *   The authorization endpoint sends the browser to WeChat itself when this page would only
 *   redirect there (`directWeChatUrl`): the page then serves restarts (a "try again" link).
 * - `GET .../interaction/:uid/wechat/:appid` takes WeChat's `code` and `state` (single-use, bound
 *   to the appid and this interaction), binds the user as the web login does, and finishes the
 *   interaction with a 302; no code (refused) or a snapshot-page user is `access_denied`.
 * - `GET .../interaction/:uid/follow` finishes a follow-to-log-in once its scan arrived.
 */
export const interactionRoutes: FastifyPluginAsync<{ oidc: OidcService }> = async (app, { oidc }) => {
  const { login, store, issuer } = oidc;
  const base = `${issuer}${INTERACTION_PATH}`;

  // A person's page whatever fails (a store or database down): bilingual, the code, nothing internal.
  app.setErrorHandler((err, request, reply) => {
    const code = isWxhubError(err) ? err.code : 'WXHUB_ERR_INTERNAL';
    request.log.error(
      { code, err: err instanceof Error ? redactUrl(`${err.name}: ${err.message}`) : 'error' },
      'oidc login page failed',
    );
    return sendProblem(request, reply, {
      code,
      zh: '登录服务暂时不可用，请稍后重试',
      en: 'Logging in is not possible just now: please try again in a moment',
    });
  });

  const details = async (
    request: FastifyRequest,
    reply: FastifyReply,
    uid: string,
  ): Promise<Details | null> => {
    if (!UID.test(uid)) return null;
    try {
      const found = await oidc.provider().interactionDetails(request.raw, reply.raw);
      return found.uid === uid ? found : null;
    } catch {
      return null;
    }
  };

  const lost = (request: FastifyRequest, reply: FastifyReply, detail: string) =>
    sendProblem(request, reply, { ...gone, detail });

  /** Records the interaction's outcome and sends the browser back to oidc-provider (302). */
  const finish = async (
    request: FastifyRequest,
    reply: FastifyReply,
    result: InteractionResults,
  ): Promise<FastifyReply> => {
    const returnTo = await oidc
      .provider()
      .interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
    return reply.header('cache-control', 'no-store').redirect(returnTo, 302);
  };

  /** Logs `accountId` in and grants what the client asked (consent was given at WeChat). */
  const grant = async (found: Details, accountId: string): Promise<InteractionResults> => {
    const provider = oidc.provider();
    const clientId = String(found.params.client_id);
    const existing =
      found.grantId && found.session?.accountId === accountId
        ? await provider.Grant.find(found.grantId)
        : undefined;
    const next = existing ?? new provider.Grant({ accountId, clientId });
    const scope = String(found.params.scope ?? 'openid');
    next.addOIDCScope(scope);
    const claims = found.prompt.details.missingOIDCClaims;
    if (Array.isArray(claims)) next.addOIDCClaims(claims as string[]);
    const grantId = await next.save();
    return { login: { accountId }, consent: { grantId } };
  };

  const denied = (description: string): InteractionResults => ({
    error: 'access_denied',
    error_description: description,
  });

  app.get('/oidc/interaction/:uid', async (request, reply) => {
    const { uid } = request.params as { uid: string };
    const found = await details(request, reply, uid);
    if (!found)
      return lost(request, reply, 'no login in progress here (expired, finished or another browser)');
    const client = await oidc.provider().Client.find(String(found.params.client_id));
    const metadata = client as unknown as { appid?: string; website_appid?: string } | undefined;
    if (!metadata?.appid) return lost(request, reply, 'the client is no longer registered');
    if (isKnownUserConsent(found))
      return finish(request, reply, await grant(found, found.session!.accountId!));

    const route = loginRouteFor(oidc, request.headers['user-agent'], metadata)!;
    reply.header('cache-control', 'no-store');
    switch (route.kind) {
      case 'web-authorization':
      case 'website-qr':
        return reply.redirect(await wechatAuthorizeUrl(oidc, found, route), 302);
      case 'follow': {
        const started = await oidc.followLogin!.start(route.appid, {
          continueUrl: `${base}/${uid}/follow`,
          clientIp: request.ip,
        });
        const ttlMs = pendingTtlMs(oidc, found.exp);
        await store.setDocument(followKey(uid), JSON.stringify({ ...started, appid: route.appid }), ttlMs);
        return reply.redirect(started.pageUrl, 302);
      }
      case 'open-in-wechat':
        return reply.type('text/html; charset=utf-8').send(openInWeChatPage(authLink(issuer, found.params)));
    }
  });

  app.get('/oidc/interaction/:uid/wechat/:appid', async (request, reply) => {
    const { uid, appid } = request.params as { uid: string; appid: string };
    const query = callbackQuery.safeParse(request.query);
    const presented = query.success ? query.data.state : undefined;
    if (!APPID.test(appid) || !presented || !STATE_PATTERN.test(presented))
      return sendProblem(request, reply, {
        ...gone,
        code: 'WXHUB_ERR_OAUTH_STATE',
        detail: 'no valid state',
      });
    const state = await takeState(store, appid, presented);
    if (!state || state.oidcInteraction !== uid)
      return sendProblem(request, reply, {
        ...gone,
        code: 'WXHUB_ERR_OAUTH_STATE',
        detail: 'the state is unknown, used or expired',
      });
    const found = await details(request, reply, uid);
    if (!found)
      return lost(request, reply, 'no login in progress here (expired, finished or another browser)');
    const code = query.data?.code;
    if (!code) return finish(request, reply, denied('the user refused the authorization in WeChat'));
    try {
      const body = await completeLogin(login, state, code, request.log);
      if (!body.user)
        return finish(request, reply, denied('a snapshot-page user: open the page in WeChat and allow'));
      return finish(request, reply, await grant(found, body.user.id));
    } catch (err) {
      const code = isWxhubError(err) ? err.code : 'WXHUB_ERR_INTERNAL';
      if (code !== 'WXHUB_ERR_OAUTH_CODE' && code !== 'WXHUB_ERR_OAUTH_UPSTREAM')
        request.log.error(
          { appid, code, err: err instanceof Error ? redactUrl(`${err.name}: ${err.message}`) : 'error' },
          'oidc login failed',
        );
      return sendProblem(request, reply, {
        code,
        zh: '微信暂时无法完成登录，请重试',
        en: 'WeChat could not complete the login just now: please try again',
        restartUrl: `${base}/${uid}`,
      });
    }
  });

  app.get('/oidc/interaction/:uid/follow', async (request, reply) => {
    const { uid } = request.params as { uid: string };
    const found = await details(request, reply, uid);
    if (!found || !oidc.followLogin) return lost(request, reply, 'no login in progress here');
    const raw = await store.getDocument(followKey(uid));
    const started = raw === null ? null : (JSON.parse(raw) as { id: string; pageUrl: string; appid: string });
    if (!started) return lost(request, reply, 'no follow-to-log-in in progress here');
    const scanned = await oidc.followLogin.result(started.id);
    // The page sends the browser here only once the scan arrived, or from its "log in again"
    // button after the code expired: without a scan, route the interaction again (a new code).
    if (!scanned) {
      await store.deleteDocument(followKey(uid));
      return reply.header('cache-control', 'no-store').redirect(`${base}/${uid}`, 302);
    }
    // Only a scan of the QR code this login showed (its account) logs this login in.
    if (scanned.appid !== started.appid) return lost(request, reply, 'the scan was for another account');
    await store.deleteDocument(followKey(uid));
    const userId = await bindFollowLogin(login, scanned, request.log);
    return finish(request, reply, await grant(found, userId));
  });
};

/** The authorization request again, as a link to open in WeChat (a fresh start there). */
function authLink(issuer: string, params: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (typeof value === 'string') query.set(name, value);
  return `${issuer}/auth?${query}`;
}
