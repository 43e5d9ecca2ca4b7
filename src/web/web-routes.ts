import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubServices } from '../hub/hub-services.js';
import type { ActivityLog } from './activity/activity-log.js';
import type { AdminLinks } from './admin/admin-pages.js';
import { adminRoutes } from './admin/admin-routes.js';
import type { FollowersSource } from './admin/followers-source.js';
import type { DemoAccount } from './demo-site/demo-pages.js';
import { demoSiteRoutes } from './demo-site/demo-site-routes.js';
import type { TicketRedeemer } from './demo-site/ticket-redeemer.js';
import { html } from './html/html.js';
import { bi, biText, page, STYLESHEET_PATH } from './html/layout.js';
import { STYLESHEET } from './html/stylesheet.js';
import { sendPage, wantsHtml } from './http/request-info.js';
import type { ValueSigner } from './http/signed-value.js';

export interface WebOptions {
  /** The hub's services: config (accounts), manager (status, quota), keys (admin login), clock. */
  readonly services: Pick<HubServices, 'config' | 'manager' | 'clock' | 'keys'>;
  /** Fed by the manager's events (`activity.attach(manager)`), read by the dashboard. */
  readonly activity: ActivityLog;
  /** Signs both session cookies (the demo site's and the dashboard's, under different purposes). */
  readonly signer: ValueSigner;
  /** The follower list and "sync now" of the dashboard. */
  readonly followers?: FollowersSource;
  /** The demo site at `/`; absent: only the dashboard. */
  readonly demo?: {
    readonly accounts: readonly DemoAccount[];
    readonly redeem: TicketRedeemer;
    readonly sessionTtlMs?: number;
  };
  readonly adminSessionTtlMs?: number;
  readonly simulatorUrl?: string;
}

/** The paths the pages answer (the rest of an origin they share belongs to the hub). */
const PAGE_PATHS =
  /^\/(?:$|\?|profile(?:$|[/?])|logout(?:$|[/?])|admin(?:$|[/?])|assets\/|favicon\.ico(?:$|\?))/;

/** True when a request URL belongs to the pages rather than the hub's API. */
export function isWebPath(url: string): boolean {
  return PAGE_PATHS.test(url);
}

/**
 * The pages app's `frameworkErrors` (a Fastify constructor option): Fastify's own answer to a
 * malformed URL (`/admin/%`) or an over-long path parameter echoes the whole URL, query
 * included, so a key pasted there would come back. Answer 400 naming nothing.
 */
export function webFrameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? 400 : 500;
  reply.code(status).send({
    error: {
      code: status === 400 ? 'WXHUB_ERR_INVALID_ARGUMENT' : 'WXHUB_ERR_INTERNAL',
      message: status === 400 ? 'malformed URL' : 'internal error',
    },
  });
}

const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  'img-src * data:',
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#07c160"/><ellipse cx="13" cy="14" rx="8" ry="6.5" fill="#fff"/><ellipse cx="20" cy="19" rx="6.5" ry="5.3" fill="#e8fff1"/></svg>`;

/**
 * The server-rendered pages as one Fastify plugin: the stylesheet, the demo site (when
 * `demo` is given) and the operator dashboard. HTML only, escaped by construction, no script;
 * every page carries a strict Content-Security-Policy.
 */
export async function webRoutes(app: FastifyInstance, options: WebOptions): Promise<void> {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('content-security-policy', CSP);
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'same-origin');
    }
    return payload;
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err: err.message, url: request.routeOptions.url }, 'page failed');
    if (!wantsHtml(request)) {
      return reply.code(status).send({
        error: {
          code: status === 500 ? 'WXHUB_ERR_INTERNAL' : 'WXHUB_ERR_INVALID_ARGUMENT',
          message: status === 500 ? 'internal error' : err.message,
        },
      });
    }
    return sendPage(
      reply,
      status,
      page({
        title: biText('出错了', 'Something went wrong'),
        brand: html`wxhub`,
        brandHref: '/',
        narrow: true,
        body: html`<h1>${bi('出错了', 'Something went wrong')}</h1><p class="muted">HTTP ${status}</p><p><a class="btn primary" href="/">${bi('返回首页', 'Back to home')}</a></p>`,
      }),
    );
  });

  // Fastify's default 404 echoes the whole URL, query included: a client key or token pasted
  // there would come back in the body. Name the path only.
  app.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?', 1)[0] ?? '').slice(0, 200);
    if (!wantsHtml(request)) {
      return reply.code(404).send({
        error: { code: 'WXHUB_ERR_NOT_FOUND', message: `no page ${request.method} ${path}` },
      });
    }
    return sendPage(
      reply,
      404,
      page({
        title: biText('页面不存在', 'Page not found'),
        brand: html`wxhub`,
        brandHref: '/',
        narrow: true,
        body: html`<h1>${bi('页面不存在', 'Page not found')}</h1><p class="muted">HTTP 404</p><p><a class="btn primary" href="/">${bi('返回首页', 'Back to home')}</a></p>`,
      }),
    );
  });

  app.get(STYLESHEET_PATH, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(STYLESHEET),
  );
  app.get('/favicon.ico', async (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON),
  );

  const links: AdminLinks = { demoSite: Boolean(options.demo), simulatorUrl: options.simulatorUrl };
  if (options.demo) {
    await app.register(demoSiteRoutes, {
      accounts: options.demo.accounts,
      redeem: options.demo.redeem,
      signer: options.signer,
      clock: options.services.clock,
      sessionTtlMs: options.demo.sessionTtlMs,
      links: { simulatorUrl: options.simulatorUrl },
    });
  }
  await app.register(adminRoutes, {
    services: options.services,
    activity: options.activity,
    signer: options.signer,
    followers: options.followers,
    sessionTtlMs: options.adminSessionTtlMs,
    links,
  });
}
