import type { FastifyInstance } from 'fastify';
import { hubAccountAdmin } from '../../accounts/account-routes.js';
import { FollowerSync } from '../../followers/follower-sync.js';
import { followerSyncRoutes } from '../../followers/follower-sync-routes.js';
import { ActivityLog } from '../activity/activity-log.js';
import { adminRoutes } from '../admin/admin-routes.js';
import { databaseFollowers } from '../admin/followers-source.js';
import { sessionSecret } from '../http/session-secret.js';
import { ValueSigner } from '../http/signed-value.js';
import { pagesShell } from '../pages-shell.js';

/** What the dashboard keeps for the hub it is part of (`app.dashboard`). */
export interface HubDashboard {
  /** This process's recent token-engine and API activity, fed by the manager's events. */
  readonly activity: ActivityLog;
  /** Follower sync on demand; `startHub` starts its schedule. */
  readonly followerSync: FollowerSync;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The operator dashboard's state (see `hubDashboard`). */
    dashboard: HubDashboard;
  }
}

/**
 * The operator dashboard and follower sync as a hub feature (what `wxhub serve` serves): the
 * pages under `/admin` behind a client key with the `admin` scope (their own error pages and
 * security headers, in a context of their own), `/v1/admin/accounts/:appid/followers/sync`, the
 * activity log and the follower sync, decorated as `app.dashboard`. It reads everything from
 * `app.hub`; the session-signing secret is made once per database, at the first dashboard request.
 */
async function hubDashboardPlugin(app: FastifyInstance): Promise<void> {
  const services = app.hub;
  const activity = new ActivityLog({ clock: services.clock });
  const detach = activity.attach(services.manager);
  const followerSync = new FollowerSync({ services, logger: app.log.child({ component: 'followers' }) });
  app.decorate('dashboard', { activity, followerSync });
  // Before the store and database close (the hub's onClose): a running sync stops first.
  app.addHook('preClose', async () => {
    detach();
    await followerSync.close();
  });

  // Read on first use, so a hub whose database is away at start still starts (and says so on /readyz).
  const accountAdmin = hubAccountAdmin(services);
  const signer = async () => new ValueSigner(await sessionSecret(services));
  await app.register(followerSyncRoutes, { sync: followerSync, gate: services.gate });
  await app.register(async (pages) => {
    pagesShell(pages, '/admin');
    await pages.register(adminRoutes, {
      services,
      activity,
      signer,
      followers: databaseFollowers(services.database),
      sync: followerSync,
      gateway: {
        snapshot: () => services.metrics.gateway.snapshot(),
        subscribers: () => services.gateway.subscribers.list(),
        backlog: () => services.metrics.gateway.backlog(),
        deadLetters: (consumer, limit) => services.gateway.log.deadLetters(consumer, limit),
        replay: (consumer) => services.gateway.gateway.replay(consumer),
      },
      enable: (appid: string) => accountAdmin.enable(appid),
    });
  });
}

// Like fastify-plugin: `app.dashboard` is decorated on the hub itself, not on a child context.
Object.assign(hubDashboardPlugin, { [Symbol.for('skip-override')]: true });

/** Register on the hub's app (`app.register(hubDashboard)`), after `app.hub` is decorated. */
export const hubDashboard = hubDashboardPlugin;
