import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../util/clock.js';
import { parseCookies, serializeCookie } from '../http/cookies.js';
import { requestOrigin, seeOther, sendPage } from '../http/request-info.js';
import type { ValueSigner } from '../http/signed-value.js';
import { type DemoAccount, homePage, loginErrorPage, profilePage, type SiteLinks } from './demo-pages.js';
import { type DemoSession, sessionFromLogin, sessionFromPayload } from './demo-session.js';
import type { TicketRedeemer } from './ticket-redeemer.js';

/** The demo site's session cookie. */
export const DEMO_COOKIE = 'wxhub_demo_session';
const PURPOSE = 'demo-session';

export interface DemoSiteOptions {
  readonly accounts: readonly DemoAccount[];
  readonly redeem: TicketRedeemer;
  readonly signer: ValueSigner;
  readonly clock: Clock;
  /** How long a demo session lasts, ms. Default 24 h. */
  readonly sessionTtlMs?: number;
  readonly links?: SiteLinks;
}

const TICKET = /^[A-Za-z0-9_-]{1,512}$/;

/**
 * The business app of the story, at `/`: "Log in with WeChat" links to the hub's login, and
 * `/profile` receives `?wxhub_ticket=T`, redeems it server-side over the hub's public API, keeps
 * its own session in a signed HttpOnly cookie (SameSite=Lax) and redirects to itself without
 * the ticket. `POST /logout` ends the session.
 */
export async function demoSiteRoutes(app: FastifyInstance, options: DemoSiteOptions): Promise<void> {
  const ttlMs = options.sessionTtlMs ?? 24 * 3600_000;
  const links = options.links ?? {};

  const readSession = (request: FastifyRequest): DemoSession | null => {
    const payload = options.signer.verify(
      PURPOSE,
      parseCookies(request.headers.cookie).get(DEMO_COOKIE),
      options.clock.now(),
    );
    return payload ? sessionFromPayload(payload) : null;
  };
  const cookie = (request: FastifyRequest, value: string, maxAgeSeconds: number) =>
    serializeCookie(DEMO_COOKIE, value, {
      path: '/',
      maxAge: maxAgeSeconds,
      sameSite: 'Lax',
      secure: request.protocol === 'https',
    });

  app.get('/', async (request, reply) =>
    sendPage(
      reply,
      200,
      homePage({
        origin: requestOrigin(request),
        accounts: options.accounts,
        session: readSession(request),
        links,
      }),
    ),
  );

  app.get<{ Querystring: { wxhub_ticket?: string; wxhub_error?: string } }>(
    '/profile',
    async (request, reply) => {
      const { wxhub_ticket: ticket, wxhub_error: error } = request.query;
      if (typeof error === 'string' && error !== '') {
        return sendPage(reply, 401, loginErrorPage({ code: error.slice(0, 64), links }));
      }
      if (typeof ticket === 'string') {
        if (!TICKET.test(ticket)) {
          return sendPage(reply, 401, loginErrorPage({ code: 'WXHUB_ERR_OAUTH_TICKET', links }));
        }
        const outcome = await options.redeem(ticket);
        if (!outcome.ok) {
          request.log.warn({ code: outcome.code, status: outcome.status }, 'ticket redeem failed');
          const status = outcome.status >= 500 ? 502 : 401;
          return sendPage(reply, status, loginErrorPage({ code: outcome.code, links }));
        }
        const session = sessionFromLogin(outcome.login);
        const value = options.signer.sign(
          PURPOSE,
          session as unknown as Record<string, unknown>,
          options.clock.now() + ttlMs,
        );
        reply.header('set-cookie', cookie(request, value, ttlMs / 1000));
        return seeOther(reply, '/profile');
      }
      const session = readSession(request);
      if (!session) return seeOther(reply, '/');
      reply.header('cache-control', 'no-store');
      const account = options.accounts.find((a) => a.appid === session.appid);
      return sendPage(reply, 200, profilePage({ session, account, links }));
    },
  );

  app.post('/logout', async (request, reply) => {
    reply.header('set-cookie', cookie(request, '', 0));
    return seeOther(reply, '/');
  });
}
