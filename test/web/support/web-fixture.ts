import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import type { Hub } from '../../../src/hub/index.js';
import { ActivityLog } from '../../../src/web/activity/activity-log.js';
import { ADMIN_COOKIE } from '../../../src/web/admin/admin-session.js';
import type { FollowerSyncControl, FollowersSource } from '../../../src/web/admin/followers-source.js';
import type { RedeemOutcome, TicketRedeemer } from '../../../src/web/demo-site/ticket-redeemer.js';
import { ValueSigner } from '../../../src/web/http/signed-value.js';
import { webRoutes } from '../../../src/web/web-routes.js';
import { APP_A, APP_B, type TestHub, testHub } from '../../hub/support/hub-fixture.js';

export const SIGNING_KEY = 'route-test-signing-key-0123456789abcdef';

export interface WebFixture {
  readonly t: TestHub;
  readonly web: FastifyInstance;
  readonly activity: ActivityLog;
  readonly signer: ValueSigner;
  /** Tickets the stub redeemer was asked for. */
  readonly redeemed: string[];
  /** What the stub redeemer answers next. */
  nextRedeem: RedeemOutcome;
  close(): Promise<void>;
}

/**
 * The pages on a hub of route tests (memory store and database, a FakeWeChat, a manual clock),
 * with a stub ticket redeemer and the followers source and sync given; driven with `inject()`.
 */
export async function webFixture(
  options: { followers?: FollowersSource; sync?: FollowerSyncControl } = {},
): Promise<WebFixture> {
  const t = await testHub();
  const activity = new ActivityLog({ clock: t.clock });
  const detach = activity.attach(t.hub.manager);
  const signer = new ValueSigner(SIGNING_KEY);
  const redeemed: string[] = [];
  const fixture: WebFixture = {
    t,
    web: Fastify(),
    activity,
    signer,
    redeemed,
    nextRedeem: { ok: false, status: 400, code: 'WXHUB_ERR_OAUTH_TICKET', message: 'unset' },
    close: async () => {
      detach();
      await fixture.web.close();
      await t.close();
    },
  };
  const redeem: TicketRedeemer = async (ticket) => {
    redeemed.push(ticket);
    return fixture.nextRedeem;
  };
  await fixture.web.register(webRoutes, {
    services: t.hub.services,
    activity,
    signer,
    followers: options.followers,
    sync: options.sync,
    simulatorUrl: 'http://127.0.0.1:9100',
    demo: {
      accounts: [
        { appid: APP_A, name: '演示商城 Demo Shop' },
        { appid: APP_B, name: 'Second <Shop>' },
      ],
      redeem,
    },
  });
  await fixture.web.ready();
  return fixture;
}

/** The `name=value` of a response's Set-Cookie for `name`, to send back as a Cookie header. */
export function cookieFrom(res: LightMyRequestResponse, name: string): string {
  const header = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith(`${name}=`));
  if (!header) throw new Error(`no Set-Cookie for ${name}`);
  return header.split(';')[0]!;
}

/** The raw Set-Cookie header for `name`, or undefined. */
export function setCookie(res: LightMyRequestResponse, name: string): string | undefined {
  return [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith(`${name}=`));
}

export const HTML = { accept: 'text/html,application/xhtml+xml' };

/** A dashboard session on `hub`: an admin key created and logged in with; its cookie. */
export async function adminSession(hub: Hub): Promise<string> {
  const { key } = await hub.services.keys.create({ name: 'ops', appids: [], scopes: ['admin'] });
  const login = await hub.app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: HTML,
    payload: { key },
  });
  return cookieFrom(login, ADMIN_COOKIE);
}
