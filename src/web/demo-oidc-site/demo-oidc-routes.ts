import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import type { Clock } from '../../util/clock.js';
import { parseCookies, serializeCookie } from '../http/cookies.js';
import { seeOther, sendPage } from '../http/request-info.js';
import type { ValueSigner } from '../http/signed-value.js';
import { OIDC_SITE_PATH, type OidcSession, oidcErrorFlash, oidcHomePage } from './demo-oidc-pages.js';
import type { OidcRelyingParty, PendingLogin } from './oidc-relying-party.js';

const SESSION_COOKIE = 'wxhub_demo_oidc';
const PENDING_COOKIE = 'wxhub_demo_oidc_pending';
const PENDING_TTL_MS = 10 * 60_000;
const SESSION_TTL_MS = 24 * 3600_000;

export interface DemoOidcSiteOptions {
  readonly rp: OidcRelyingParty;
  readonly signer: ValueSigner;
  readonly clock: Clock;
  /** The origin the client's redirect URI is on: a login started on another host moves there first. */
  readonly origin: string;
}

/**
 * The second demo site, at `/oidc-demo`: a relying party of the hub's OpenID Connect provider,
 * written as any site would with openid-client. `login` keeps state, PKCE verifier and nonce in
 * a signed cookie and redirects to the provider; `callback` finishes the code flow and keeps the
 * claims in a signed session cookie; `logout` forgets them.
 */
export async function demoOidcSiteRoutes(app: FastifyInstance, options: DemoOidcSiteOptions): Promise<void> {
  const { rp, signer, clock } = options;
  const cookie = (request: FastifyRequest, name: string, value: string, maxAgeMs: number) =>
    serializeCookie(name, value, {
      path: OIDC_SITE_PATH,
      maxAge: maxAgeMs / 1000,
      sameSite: 'Lax',
      secure: request.protocol === 'https',
    });
  const read = (request: FastifyRequest, name: string, purpose: string) =>
    signer.verify(purpose, parseCookies(request.headers.cookie).get(name), clock.now());
  const session = (request: FastifyRequest): OidcSession | null => {
    const payload = read(request, SESSION_COOKIE, 'demo-oidc-session');
    return payload && typeof payload.sub === 'string'
      ? { sub: payload.sub, claims: (payload.claims ?? {}) as Record<string, unknown> }
      : null;
  };

  app.get(OIDC_SITE_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return sendPage(reply, 200, oidcHomePage({ session: session(request) }));
  });

  app.get(`${OIDC_SITE_PATH}/login`, async (request, reply) => {
    if (`${request.protocol}://${request.host}` !== options.origin) {
      return reply.redirect(`${options.origin}${OIDC_SITE_PATH}/login`, 302);
    }
    const { url, pending } = await rp.start();
    const value = signer.sign('demo-oidc-pending', { ...pending }, clock.now() + PENDING_TTL_MS);
    reply.header('set-cookie', cookie(request, PENDING_COOKIE, value, PENDING_TTL_MS));
    return reply.header('cache-control', 'no-store').redirect(url, 302);
  });

  app.get(`${OIDC_SITE_PATH}/callback`, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const pending = read(request, PENDING_COOKIE, 'demo-oidc-pending') as PendingLogin | null;
    const clearPending = cookie(request, PENDING_COOKIE, '', 0);
    const failed = (status: number, error: string, description?: string) =>
      sendPage(
        reply.header('set-cookie', clearPending),
        status,
        oidcHomePage({ session: session(request), flash: oidcErrorFlash(error, description) }),
      );
    if (!pending) return failed(400, 'login_expired', 'start the login again');
    try {
      const login = await rp.finish(new URL(request.url, options.origin), pending);
      const claims = { ...login.userinfo };
      for (const name of ['sub', 'openid', 'unionid', 'is_follower']) {
        if (claims[name] === undefined && login.idToken[name] !== undefined)
          claims[name] = login.idToken[name];
      }
      const value = signer.sign(
        'demo-oidc-session',
        { sub: String(login.idToken.sub), claims },
        clock.now() + SESSION_TTL_MS,
      );
      reply.header('set-cookie', [clearPending, cookie(request, SESSION_COOKIE, value, SESSION_TTL_MS)]);
      return seeOther(reply, OIDC_SITE_PATH);
    } catch (err) {
      if (err instanceof oidc.AuthorizationResponseError) {
        return failed(401, err.error, err.error_description);
      }
      request.log.warn(
        { err: err instanceof Error ? `${err.name}: ${err.message}` : 'error' },
        'OIDC login failed',
      );
      return failed(502, err instanceof oidc.ResponseBodyError ? err.error : 'login_failed');
    }
  });

  app.post(`${OIDC_SITE_PATH}/logout`, async (request, reply) => {
    reply.header('set-cookie', cookie(request, SESSION_COOKIE, '', 0));
    return seeOther(reply, OIDC_SITE_PATH);
  });
}
