import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubServices } from '../hub/hub-services.js';
import type { ActivityLog } from './activity/activity-log.js';
import type { AdminLinks } from './admin/admin-pages.js';
import { adminRoutes } from './admin/admin-routes.js';
import type { FollowerSyncControl, FollowersSource } from './admin/followers-source.js';
import { OIDC_SITE_PATH } from './demo-oidc-site/demo-oidc-pages.js';
import { demoOidcSiteRoutes } from './demo-oidc-site/demo-oidc-routes.js';
import type { OidcRelyingParty } from './demo-oidc-site/oidc-relying-party.js';
import type { DemoAccount } from './demo-site/demo-pages.js';
import { demoSiteRoutes } from './demo-site/demo-site-routes.js';
import type { TicketRedeemer } from './demo-site/ticket-redeemer.js';
import { sendPage, wantsHtml } from './http/request-info.js';
import type { ValueSigner } from './http/signed-value.js';
import { errorPage, pagesShell } from './pages-shell.js';

export interface WebOptions {
  /** The hub's services: config (accounts), manager (status, quota), keys (admin login), clock. */
  readonly services: Pick<HubServices, 'config' | 'manager' | 'clock' | 'keys'>;
  /** Fed by the manager's events (`activity.attach(manager)`), read by the dashboard. */
  readonly activity: ActivityLog;
  /** Signs both session cookies (the demo site's and the dashboard's, under different purposes). */
  readonly signer: ValueSigner;
  /** The follower list of the dashboard. */
  readonly followers?: FollowersSource;
  /** The follower sync behind "sync now" (the hub's `FollowerSync`). */
  readonly sync?: FollowerSyncControl;
  /** The demo site at `/`; absent: only the dashboard. */
  readonly demo?: {
    readonly accounts: readonly DemoAccount[];
    readonly redeem: TicketRedeemer;
    readonly sessionTtlMs?: number;
    /** The OpenID Connect demo site at `/oidc-demo`: a relying party of the hub's provider. */
    readonly oidc?: { readonly rp: OidcRelyingParty; readonly origin: string };
  };
  readonly adminSessionTtlMs?: number;
  readonly simulatorUrl?: string;
}

/** The paths the pages answer (the rest of an origin they share belongs to the hub). */
const PAGE_PATHS =
  /^\/(?:$|\?|profile(?:$|[/?])|logout(?:$|[/?])|oidc-demo(?:$|[/?])|admin(?:$|[/?])|assets\/|favicon\.ico(?:$|\?))/;

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

/**
 * The server-rendered pages as one Fastify plugin: the stylesheet, the demo site (when
 * `demo` is given) and the operator dashboard. HTML only, escaped by construction, no script;
 * every page carries a strict Content-Security-Policy.
 */
export async function webRoutes(app: FastifyInstance, options: WebOptions): Promise<void> {
  pagesShell(app, '/');

  // Fastify's default 404 echoes the whole URL, query included: a client key or token pasted
  // there would come back in the body. Name the path only.
  app.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?', 1)[0] ?? '').slice(0, 200);
    if (!wantsHtml(request)) {
      return reply.code(404).send({
        error: { code: 'WXHUB_ERR_NOT_FOUND', message: `no page ${request.method} ${path}` },
      });
    }
    return sendPage(reply, 404, errorPage(404, '页面不存在', 'Page not found', '/'));
  });

  const links: AdminLinks = { demoSite: Boolean(options.demo), simulatorUrl: options.simulatorUrl };
  if (options.demo) {
    await app.register(demoSiteRoutes, {
      accounts: options.demo.accounts,
      redeem: options.demo.redeem,
      signer: options.signer,
      clock: options.services.clock,
      sessionTtlMs: options.demo.sessionTtlMs,
      links: {
        simulatorUrl: options.simulatorUrl,
        ...(options.demo.oidc ? { oidcSite: OIDC_SITE_PATH } : {}),
      },
    });
    if (options.demo.oidc) {
      await app.register(demoOidcSiteRoutes, {
        ...options.demo.oidc,
        signer: options.signer,
        clock: options.services.clock,
      });
    }
  }
  await app.register(adminRoutes, {
    services: options.services,
    activity: options.activity,
    signer: options.signer,
    followers: options.followers,
    sync: options.sync,
    sessionTtlMs: options.adminSessionTtlMs,
    links,
  });
}
