import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { expect } from 'vitest';
import type { ConfigInput } from '../../../src/config/index.js';
import type { Database } from '../../../src/db/index.js';
import { createHub, type Hub } from '../../../src/hub/index.js';
import type { Store } from '../../../src/store/store.js';
import { ManualClock } from '../../../src/util/clock.js';
import { startTestSim, type TestSim } from '../../support/sim.js';

export const SHOP_RETURN = 'https://shop.example.com/after-login?from=menu';
export const ENCRYPTION_KEY = randomBytes(32).toString('base64');

export interface OAuthFixtureOptions {
  readonly config?: Partial<ConfigInput>;
  readonly logger?: pino.Logger;
  /** Default: a fresh SQLite file. */
  readonly database?: Database | 'sqlite' | 'memory';
  /** Default: a memory store the hub opens. */
  readonly store?: Store;
}

export interface Consent {
  /** Authorize as this simulated user (X-Sim-User). */
  readonly openid?: string;
  readonly deny?: boolean;
  readonly snapshot?: boolean;
}

/**
 * A hub whose WeChat endpoints point at a simulator on a random port: two unionBound accounts
 * (shop: allowlist with a path prefix, default scope snsapi_userinfo; news: snsapi_base), a
 * manual clock for the hub (state and ticket TTLs) and helpers that walk the login over HTTP.
 */
export async function oauthFixture(options: OAuthFixtureOptions = {}) {
  const sim = await startTestSim();
  const domains = { unionBound: true, oauthDomains: ['localhost', '127.0.0.1'] };
  const shop = await sim.account({ ...domains, name: 'Shop' });
  const news = await sim.account({ ...domains, name: 'News' });
  const clock = new ManualClock(sim.clock.now());
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-oauth-'));
  const dbFile = join(dir, 'hub.db');
  const database =
    options.database === 'memory'
      ? 'memory:'
      : options.database === undefined || options.database === 'sqlite'
        ? `sqlite:${dbFile}`
        : undefined;
  const hub: Hub = await createHub({
    config: {
      store: 'memory:',
      database: database ?? 'memory:',
      wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: 1000 },
      accounts: [
        {
          appid: shop.appid,
          secret: shop.secret,
          tokenMode: 'classic',
          oauth: {
            returnTo: ['https://shop.example.com', 'https://app.example.com/account/'],
            defaultScope: 'snsapi_userinfo',
          },
        },
        {
          appid: news.appid,
          secret: news.secret,
          tokenMode: 'classic',
          oauth: { returnTo: ['https://news.example.com'] },
        },
      ],
      oauth: { encryptionKey: ENCRYPTION_KEY },
      ...options.config,
    },
    database: typeof options.database === 'object' ? options.database : undefined,
    store: options.store,
    clock,
    logger: options.logger ?? pino({ level: 'silent' }),
    proactiveRefresh: false,
    tokens: { retryStrategy: () => null },
  });
  const app = hub.app;
  const inject = (opts: InjectOptions | string) => app.inject(opts);

  async function key(scopes: ('oauth' | 'token')[] = ['oauth'], appids = [shop.appid, news.appid]) {
    return (await hub.services.keys.create({ name: 'shop backend', appids, scopes })).key;
  }

  function loginUrl(appid: string, returnTo: string, scope?: string): string {
    const q = new URLSearchParams({ return_to: returnTo });
    if (scope) q.set('scope', scope);
    return `/oauth/${appid}/login?${q}`;
  }

  async function startLogin(appid: string, returnTo = SHOP_RETURN, scope?: string, cookie?: string) {
    const res = await inject({
      url: loginUrl(appid, returnTo, scope),
      headers: cookie ? { cookie } : {},
    });
    expect(res.statusCode, res.body).toBe(302);
    const authorize = res.headers.location as string;
    const state = new URL(authorize.replace('#wechat_redirect', '')).searchParams.get('state')!;
    const setCookie = String(res.headers['set-cookie'] ?? '');
    return { res, authorize, state, cookie: setCookie.split(';', 1)[0]! };
  }

  /** The simulator's answer to the authorize link: the callback path the browser would follow. */
  async function consent(authorize: string, how: Consent): Promise<string> {
    const headers: Record<string, string> = {};
    if (how.openid) headers['x-sim-user'] = how.openid;
    if (how.deny) headers['x-sim-action'] = 'deny';
    if (how.snapshot) headers['x-sim-snapshot'] = '1';
    const res = await fetch(authorize, { headers, redirect: 'manual' });
    const text = await res.text();
    expect(res.status, text).toBe(302);
    const back = new URL(res.headers.get('location')!);
    return back.pathname + back.search;
  }

  async function callback(path: string, cookie?: string): Promise<LightMyRequestResponse> {
    return inject({ url: path, headers: cookie ? { cookie } : {} });
  }

  /** The ticket on a callback's redirect to return_to. */
  function ticketOf(res: LightMyRequestResponse): string {
    expect(res.statusCode, res.body).toBe(302);
    const ticket = new URL(res.headers.location as string).searchParams.get('wxhub_ticket');
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return ticket!;
  }

  async function redeem(ticket: string, clientKey: string) {
    return inject({
      method: 'POST',
      url: '/v1/oauth/tickets/redeem',
      headers: { authorization: `Bearer ${clientKey}` },
      payload: { ticket },
    });
  }

  /** A whole login: start, consent as `openid`, callback (with the cookie), redeem. */
  async function login(
    appid: string,
    openid: string,
    clientKey: string,
    scope?: string,
    returnTo = SHOP_RETURN,
  ) {
    const started = await startLogin(appid, returnTo, scope);
    const back = await callback(await consent(started.authorize, { openid }), started.cookie);
    const ticket = ticketOf(back);
    const redeemed = await redeem(ticket, clientKey);
    expect(redeemed.statusCode, redeemed.body).toBe(200);
    return { back, ticket, outcome: redeemed.json() };
  }

  return {
    sim,
    hub,
    app,
    clock,
    shop,
    news,
    dbFile,
    inject,
    key,
    loginUrl,
    startLogin,
    consent,
    callback,
    ticketOf,
    redeem,
    login,
    async close() {
      await hub.close();
      await sim.close();
    },
  };
}

export type OAuthFixture = Awaited<ReturnType<typeof oauthFixture>>;
export type { TestSim };
