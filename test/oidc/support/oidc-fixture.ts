import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import * as oidcClient from 'openid-client';
import pino from 'pino';
import { expect } from 'vitest';
import type { ConfigInput } from '../../../src/config/index.js';
import type { Database } from '../../../src/db/index.js';
import { createHub, type Hub } from '../../../src/hub/index.js';
import type { FollowLoginPort } from '../../../src/oidc/index.js';
import type { Store } from '../../../src/store/store.js';
import { startTestSim } from '../../support/sim.js';

export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN';
export const DESKTOP_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
export const REDIRECT_URI = 'https://rp.example.com/cb';
export const SECRET = randomBytes(32).toString('base64url');
const ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** A free loopback port (the issuer is fixed before the hub listens). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A browser's cookie jar for one host (names only: paths do not matter to these tests). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';', 1);
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

export interface HubOptions {
  readonly store?: Store;
  readonly database?: Database;
  readonly followLogin?: FollowLoginPort;
  readonly config?: Partial<ConfigInput>;
}

/**
 * A simulator with an Official Account (`shop`) and a website app bound to the same Open
 * Platform account (`site`), and a way to start hubs with the OpenID Connect provider on a
 * fixed loopback port: a confidential client (`rp`, with the website app) and a public one
 * (`spa`, PKCE, no website app).
 */
export async function oidcFixture() {
  const sim = await startTestSim();
  const shop = await sim.account({ unionBound: true, oauthDomains: ['127.0.0.1'], name: 'Shop' });
  const news = await sim.account({ unionBound: true, oauthDomains: ['127.0.0.1'], name: 'News' });
  const site = await sim.account({
    kind: 'website',
    unionBound: true,
    oauthDomains: ['127.0.0.1'],
    name: 'Site',
  });
  const hubs: Hub[] = [];

  function config(publicUrl: string, extra: Partial<ConfigInput> = {}): ConfigInput {
    return {
      publicUrl,
      store: 'memory:',
      database: 'memory:',
      wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: 2000 },
      accounts: [
        { appid: shop.appid, secret: shop.secret, tokenMode: 'classic' },
        { appid: site.appid, secret: site.secret, kind: 'website' },
        { appid: news.appid, secret: news.secret, tokenMode: 'classic' },
      ],
      oauth: { encryptionKey: ENCRYPTION_KEY },
      oidc: {
        clients: [
          {
            client_id: 'rp',
            client_secret: SECRET,
            redirect_uris: [REDIRECT_URI],
            post_logout_redirect_uris: ['https://rp.example.com/bye'],
            appid: shop.appid,
            websiteAppid: site.appid,
          },
          { client_id: 'spa', redirect_uris: [REDIRECT_URI], appid: shop.appid },
          { client_id: 'news', client_secret: SECRET, redirect_uris: [REDIRECT_URI], appid: news.appid },
          {
            client_id: 'es',
            client_secret: SECRET,
            redirect_uris: [REDIRECT_URI],
            appid: shop.appid,
            id_token_signed_response_alg: 'ES256',
          },
          {
            client_id: 'pw',
            client_secret: SECRET,
            redirect_uris: [REDIRECT_URI],
            appid: shop.appid,
            pairwise: true,
          },
        ],
      },
      ...extra,
    };
  }

  /** A hub listening on `port` (default: a free one) whose issuer is `http://127.0.0.1:PORT/oidc`. */
  async function startHub(options: HubOptions & { port?: number; publicPort?: number } = {}) {
    const port = options.port ?? (await freePort());
    const publicUrl = `http://127.0.0.1:${options.publicPort ?? port}`;
    const hub = await createHub({
      config: config(publicUrl, options.config),
      store: options.store,
      database: options.database,
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
      tokens: { retryStrategy: () => null },
      followLogin: options.followLogin,
    });
    await hub.app.listen({ port, host: '127.0.0.1' });
    hubs.push(hub);
    return { hub, url: `http://127.0.0.1:${port}`, issuer: `${publicUrl}/oidc` };
  }

  /** openid-client's view of the provider (plain HTTP allowed: loopback). */
  async function discover(issuer: string, clientId = 'rp') {
    const auth = clientId === 'spa' ? oidcClient.None() : oidcClient.ClientSecretBasic(SECRET);
    return oidcClient.discovery(new URL(issuer), clientId, clientId === 'spa' ? undefined : SECRET, auth, {
      execute: [oidcClient.allowInsecureRequests],
    });
  }

  /** An authorization request with PKCE (S256), state and nonce. */
  async function authorizationRequest(
    rp: oidcClient.Configuration,
    scope: string,
    extra: Record<string, string> = {},
  ) {
    const verifier = oidcClient.randomPKCECodeVerifier();
    const state = oidcClient.randomState();
    const nonce = oidcClient.randomNonce();
    const url = oidcClient.buildAuthorizationUrl(rp, {
      redirect_uri: REDIRECT_URI,
      scope,
      code_challenge: await oidcClient.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    return { url, verifier, state, nonce };
  }

  /**
   * Walks a browser through the 3xx hops from `start` until one leaves for the relying party's
   * redirect URI (or a page answers 200/4xx). WeChat's pages answer at once as `openid` would.
   * `rewrite` maps a URL to another hub of the fleet (start on one, finish on the other).
   */
  async function browse(
    start: string,
    options: {
      userAgent: string;
      openid?: string;
      deny?: boolean;
      snapshot?: boolean;
      jar?: CookieJar;
      rewrite?: (url: string) => string;
      stopAt?: (url: URL) => boolean;
    },
  ) {
    const jar = options.jar ?? new CookieJar();
    const hops: string[] = [];
    /** The status of each hop's answer, in order (a 302 hop to WeChat: never only a script). */
    const statuses: number[] = [];
    let url = start;
    for (let i = 0; i < 20; i++) {
      const target = new URL(options.rewrite ? options.rewrite(url) : url);
      hops.push(target.href);
      if (target.href.startsWith(REDIRECT_URI) || target.href.startsWith('https://rp.example.com/'))
        return { final: target, hops, statuses, jar, page: undefined as Response | undefined };
      if (options.stopAt?.(target)) return { final: target, hops, statuses, jar, page: undefined };
      const toSim = target.origin === sim.url;
      const headers: Record<string, string> = { 'user-agent': options.userAgent };
      if (toSim) {
        if (options.openid) headers['x-sim-user'] = options.openid;
        if (options.deny) headers['x-sim-action'] = 'deny';
        if (options.snapshot) headers['x-sim-snapshot'] = '1';
      } else {
        const cookie = jar.header();
        if (cookie) headers.cookie = cookie;
      }
      const res = await fetch(target.href.replace(/#.*$/, ''), { headers, redirect: 'manual' });
      if (!toSim) jar.take(res);
      statuses.push(res.status);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location)
        return { final: target, hops, statuses, jar, page: res };
      url = new URL(location, target).href;
    }
    throw new Error(`too many hops: ${hops.join(' -> ')}`);
  }

  /** A whole login: authorization request, browser hops, code exchange. */
  async function login(
    rp: oidcClient.Configuration,
    how: {
      scope?: string;
      userAgent?: string;
      openid?: string;
      extra?: Record<string, string>;
      jar?: CookieJar;
    },
  ) {
    const request = await authorizationRequest(rp, how.scope ?? 'openid', how.extra);
    const walked = await browse(request.url.href, {
      userAgent: how.userAgent ?? WECHAT_UA,
      openid: how.openid,
      jar: how.jar,
    });
    expect(walked.final.href.startsWith(REDIRECT_URI), walked.hops.join('\n')).toBe(true);
    const tokens = await oidcClient.authorizationCodeGrant(rp, walked.final, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    return { tokens, request, walked };
  }

  return {
    sim,
    shop,
    site,
    news,
    startHub,
    discover,
    authorizationRequest,
    browse,
    login,
    async close() {
      for (const hub of hubs.splice(0)) await hub.close();
      await sim.close();
    },
  };
}

export type OidcFixture = Awaited<ReturnType<typeof oidcFixture>>;
