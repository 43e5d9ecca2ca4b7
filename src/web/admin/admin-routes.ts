import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FollowerSyncStatus } from '../../followers/follower-sync.js';
import type { DeadLetter } from '../../gateway/log/event-log.js';
import type { ListedSubscriber } from '../../hub/gateway/subscriber-sync.js';
import type { HubServices } from '../../hub/hub-services.js';
import type { GatewaySnapshot } from '../../hub/metrics/gateway-metrics.js';
import type { ActivityLog } from '../activity/activity-log.js';
import { seeOther, sendPage, wantsHtml } from '../http/request-info.js';
import { accountList, accountReport } from './account-report.js';
import {
  type AdminLinks,
  accountPage,
  adminLoginPage,
  adminNotFoundPage,
  type LoginProblem,
  overviewPage,
} from './admin-pages.js';
import { ADMIN_COOKIE, type AdminSession, AdminSessions, type SignerSource } from './admin-session.js';
import type { FollowerPage, FollowerSyncControl, FollowersSource } from './followers-source.js';
import { type GatewayView, gatewayPage, LETTERS_SHOWN } from './gateway-page.js';

/** What the dashboard reads of the callback gateway, and its replay. */
export interface GatewayDashboard {
  snapshot(): GatewaySnapshot;
  subscribers(): Promise<ListedSubscriber[]>;
  backlog(): Promise<Record<string, number>>;
  deadLetters(consumer: string, limit: number): Promise<DeadLetter[]>;
  replay(consumer: string): Promise<{ replayed: number; failed: number }>;
}

export interface AdminOptions {
  readonly services: Pick<HubServices, 'config' | 'manager' | 'clock' | 'keys'> &
    Partial<Pick<HubServices, 'accounts'>>;
  readonly activity: ActivityLog;
  readonly signer: SignerSource;
  /** The follower list; absent: the page says the table is not there. */
  readonly followers?: FollowersSource;
  /** "Sync now" and the sync's status; absent: no button. */
  readonly sync?: FollowerSyncControl;
  /**
   * "Enable" on an account stopped by a configuration error: ends its cool-down on every hub
   * (src/accounts AccountAdmin.enable). Absent: no button.
   */
  readonly enable?: (appid: string) => Promise<unknown>;
  /** The callback gateway page (`/admin/gateway`); absent: not shown. */
  readonly gateway?: GatewayDashboard;
  /** How long a dashboard session lasts, ms. Default 8 h. */
  readonly sessionTtlMs?: number;
  readonly links?: AdminLinks;
}

const PAGE_SIZE = 50;
/** How long "sync now" waits for the sync before showing the page (it runs on either way), ms. */
const SYNC_WAIT_MS = 5000;

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard session of an `/admin` request (set by the admin guard). */
    adminSession: AdminSession | null;
  }
}

function describeStore(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/**
 * The operator dashboard under `/admin`: a login form that takes a client key with the `admin`
 * scope (checked by the hub's ClientKeys) and sets a signed HttpOnly cookie for 8 h; every other
 * page needs it (browsers are sent to the form, API clients get 401). Per account: token age and
 * next refresh, quota used today, refreshes, upstream calls by errcode, recent errors, a chart
 * of calls per minute, and the follower list with "sync now". Nothing secret is ever rendered.
 */
export async function adminRoutes(app: FastifyInstance, options: AdminOptions): Promise<void> {
  const { services, activity } = options;
  const sessions = new AdminSessions(
    services.keys,
    options.signer,
    services.clock,
    options.sessionTtlMs ?? 8 * 3600_000,
  );
  const links: AdminLinks = { ...options.links, gateway: options.gateway !== undefined };
  app.decorateRequest('adminSession', null);

  app.get<{ Querystring: { problem?: string } }>('/admin/login', async (request, reply) => {
    if (await sessions.read(request)) return seeOther(reply, '/admin');
    const problem = request.query.problem === 'expired' ? 'expired' : undefined;
    reply.header('cache-control', 'no-store');
    return sendPage(reply, 200, adminLoginPage({ problem, links }));
  });

  app.post<{ Body: { key?: unknown } | undefined }>('/admin/login', async (request, reply) => {
    const presented = typeof request.body?.key === 'string' ? request.body.key : '';
    const record = presented ? await services.keys.verify(presented.trim()) : null;
    if (!record || !record.scopes.includes('admin')) {
      const problem: LoginProblem = record ? 'not-admin' : 'wrong';
      request.log.warn({ reason: problem }, 'dashboard login refused');
      if (!wantsHtml(request)) {
        return reply
          .code(401)
          .send({ error: { code: 'WXHUB_ERR_UNAUTHORIZED', message: 'admin key required' } });
      }
      return sendPage(reply, 401, adminLoginPage({ problem, links }));
    }
    reply.header('set-cookie', await sessions.signIn(request, record));
    return seeOther(reply, '/admin');
  });

  app.post('/admin/logout', async (request, reply) => {
    reply.header('set-cookie', sessions.signOut(request));
    return seeOther(reply, '/admin/login');
  });

  app.register(async (guarded) => {
    guarded.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const session = await sessions.read(request);
      if (session) {
        request.adminSession = session;
        reply.header('cache-control', 'no-store');
        // Every dashboard form posts the session's CSRF token.
        const form = request.body as { _csrf?: unknown } | undefined;
        if (request.method === 'POST' && !sessions.checkCsrf(session, form?._csrf)) {
          return reply
            .code(403)
            .send({ error: { code: 'WXHUB_ERR_FORBIDDEN', message: 'bad or missing _csrf' } });
        }
        return;
      }
      const hadCookie = (request.headers.cookie ?? '').includes(`${ADMIN_COOKIE}=`);
      if (hadCookie) reply.header('set-cookie', sessions.signOut(request));
      if (wantsHtml(request) && request.method === 'GET') {
        return seeOther(reply, hadCookie ? '/admin/login?problem=expired' : '/admin/login');
      }
      return reply.code(401).send({
        error: { code: 'WXHUB_ERR_UNAUTHORIZED', message: 'log in at /admin/login with an admin key' },
      });
    });

    guarded.get('/admin', async (request, reply) => {
      const accounts = accountList(services);
      const reports = (
        await Promise.all(accounts.map((a) => accountReport(services, activity, a.appid)))
      ).filter((r) => r !== undefined);
      const followerTotals = new Map<string, number>();
      if (options.followers) {
        await Promise.all(
          accounts.map(async ({ appid }) => {
            const page = await options.followers!.list(appid, { limit: 1, offset: 0 }).catch(() => null);
            if (page) followerTotals.set(appid, page.total);
          }),
        );
      }
      return sendPage(
        reply,
        200,
        overviewPage({
          reports,
          followerTotals,
          session: request.adminSession!,
          hub: {
            store: describeStore(services.config.store),
            database: describeStore(services.config.database),
          },
          links,
        }),
      );
    });

    guarded.get<{
      Params: { appid: string };
      Querystring: Record<string, string | undefined>;
    }>('/admin/accounts/:appid', async (request, reply) => {
      const session = request.adminSession!;
      const report = await accountReport(services, activity, request.params.appid);
      if (!report) return sendPage(reply, 404, adminNotFoundPage({ session, links }));
      const pageNumber = Math.max(
        1,
        Math.min(1_000_000, Number.parseInt(request.query.page ?? '1', 10) || 1),
      );
      let page: FollowerPage | string | undefined;
      if (options.followers) {
        page = await options.followers
          .list(report.appid, { limit: PAGE_SIZE, offset: (pageNumber - 1) * PAGE_SIZE })
          .catch((err: unknown) => {
            request.log.warn({ err: String(err) }, 'follower list failed');
            return 'database error';
          });
        // A page past the end (a stale link after followers left): the last page instead.
        const last = typeof page === 'object' ? Math.max(1, Math.ceil(page.total / PAGE_SIZE)) : 1;
        if (pageNumber > last) {
          return seeOther(
            reply,
            `/admin/accounts/${encodeURIComponent(report.appid)}?page=${last}#followers`,
          );
        }
      }
      let sync: FollowerSyncStatus | string | undefined;
      if (options.sync) {
        sync = await options.sync.status(report.appid).catch((err: unknown) => {
          request.log.warn({ err: String(err) }, 'follower sync status failed');
          return 'status unavailable';
        });
      }
      return sendPage(
        reply,
        200,
        accountPage({
          report,
          canEnable: options.enable !== undefined,
          followers: { page, pageNumber, pageSize: PAGE_SIZE, sync },
          session,
          links,
        }),
      );
    });

    guarded.post<{ Params: { appid: string }; Body: { _csrf?: unknown } | undefined }>(
      '/admin/accounts/:appid/followers/sync',
      async (request, reply) => {
        const session = request.adminSession!;
        const { appid } = request.params;
        if (!accountList(services).some((a) => a.appid === appid)) {
          return sendPage(reply, 404, adminNotFoundPage({ session, links }));
        }
        const back = `/admin/accounts/${encodeURIComponent(appid)}#followers`;
        // The result is the sync's status, drawn next to the button; a long sync runs on.
        if (options.sync) await options.sync.begin(appid, SYNC_WAIT_MS);
        return seeOther(reply, back);
      },
    );

    guarded.post<{ Params: { appid: string }; Body: { _csrf?: unknown } | undefined }>(
      '/admin/accounts/:appid/enable',
      async (request, reply) => {
        const session = request.adminSession!;
        const { appid } = request.params;
        if (!options.enable || !accountList(services).some((a) => a.appid === appid)) {
          return sendPage(reply, 404, adminNotFoundPage({ session, links }));
        }
        await options.enable(appid);
        request.log.info({ appid }, 'account enabled from the dashboard');
        return seeOther(reply, `/admin/accounts/${encodeURIComponent(appid)}`);
      },
    );
    const gateway = options.gateway;
    if (gateway) {
      guarded.get<{ Querystring: Record<string, string | undefined> }>(
        '/admin/gateway',
        async (request, reply) => {
          const subscribers = await gateway.subscribers();
          const backlog = await gateway.backlog().catch((err: unknown) => {
            request.log.warn({ err: String(err) }, 'gateway backlog failed');
            return 'store error';
          });
          const deadLetters: Record<string, DeadLetter[]> = {};
          await Promise.all(
            subscribers.map(async (s) => {
              deadLetters[s.name] = await gateway.deadLetters(s.name, LETTERS_SHOWN).catch(() => []);
            }),
          );
          const { replayed, failed, consumer } = request.query;
          const flash =
            consumer !== undefined && /^\d{1,6}$/.test(replayed ?? '') && /^\d{1,6}$/.test(failed ?? '')
              ? `${consumer}: replayed ${replayed}, failed ${failed}`
              : undefined;
          const view: GatewayView = {
            snapshot: gateway.snapshot(),
            subscribers,
            backlog,
            deadLetters,
            ...(flash ? { flash } : {}),
          };
          return sendPage(reply, 200, gatewayPage({ view, session: request.adminSession!, links }));
        },
      );

      guarded.post<{ Body: { _csrf?: unknown; consumer?: unknown } | undefined }>(
        '/admin/gateway/replay',
        async (request, reply) => {
          const session = request.adminSession!;
          const consumer = typeof request.body?.consumer === 'string' ? request.body.consumer : '';
          if (!(await gateway.subscribers()).some((s) => s.name === consumer)) {
            return sendPage(reply, 404, adminNotFoundPage({ session, links }));
          }
          const result = await gateway.replay(consumer);
          const query = new URLSearchParams({
            consumer,
            replayed: String(result.replayed),
            failed: String(result.failed),
          });
          return seeOther(reply, `/admin/gateway?${query}#subscribers`);
        },
      );
    }

    guarded.get('/admin/*', async (request, reply) =>
      sendPage(reply, 404, adminNotFoundPage({ session: request.adminSession, links })),
    );
  });
}
