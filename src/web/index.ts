/**
 * The server-rendered pages: the demo site (the business app of the login story) and the
 * operator dashboard, as one Fastify plugin, plus `startDemo` (what `wxhub demo` runs).
 * @see docs/web.md
 */
export {
  type ActivityError,
  ActivityLog,
  type ActivityLogOptions,
  type MinuteBucket,
} from './activity/activity-log.js';
export { upstreamChart } from './activity/upstream-chart.js';
export {
  databaseFollowers,
  type FollowerRow,
  type FollowerSyncControl,
  type FollowersSource,
} from './admin/followers-source.js';
export { type HubDashboard, hubDashboard } from './dashboard/hub-dashboard.js';
export { DEMO_DATABASE, demoConfig } from './demo/demo-config.js';
export { type RunningDemo, type StartDemoOptions, startDemo } from './demo/start-demo.js';
export {
  httpTicketRedeemer,
  type RedeemedLogin,
  type RedeemOutcome,
  type TicketRedeemer,
} from './demo-site/ticket-redeemer.js';
export { escapeHtml, html, raw, SafeHtml } from './html/html.js';
export { ValueSigner } from './http/signed-value.js';
export { isWebPath, type WebOptions, webRoutes } from './web-routes.js';
