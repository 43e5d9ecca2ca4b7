import * as oidc from 'openid-client';
import { Pool } from 'undici';

/** WeChat's in-app browser on an iPhone: logins go through the Official Account's web authorization. */
export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN';

/**
 * Where the HTTP requests of a login go, by name, for a per-request breakdown (bench/oidc.ts
 * `--breakdown`): `observe(hop, send)` runs `send` and may measure around it.
 */
export type HopObserver = <T>(hop: string, send: () => Promise<T>) => Promise<T>;
const unobserved: HopObserver = (_hop, send) => send();

/** Keep-alive connection pools by origin, as a browser and a relying party keep them. */
export class Pools {
  readonly #pools = new Map<string, Pool>();
  constructor(private readonly connections: number) {}

  get(origin: string): Pool {
    let p = this.#pools.get(origin);
    if (!p) {
      p = new Pool(origin, { connections: this.connections, pipelining: 1 });
      this.#pools.set(origin, p);
    }
    return p;
  }

  async close(): Promise<void> {
    for (const p of this.#pools.values()) await p.close();
  }
}

/** One GET as a browser would send it: the User-Agent and the cookies of this login. */
export async function browserGet(pools: Pools, url: URL, headers: Record<string, string> = {}) {
  const res = await pools.get(url.origin).request({
    method: 'GET',
    path: url.pathname + url.search,
    headers: { 'user-agent': WECHAT_UA, ...headers },
  });
  const text = await res.body.text();
  const setCookie = [res.headers['set-cookie'] ?? []].flat() as string[];
  const location = res.headers.location as string | undefined;
  return { status: res.statusCode, location: location ? new URL(location, url) : undefined, setCookie, text };
}

/** A login's cookies (names only: the paths do not matter to these hops). */
class Jar {
  readonly #cookies = new Map<string, string>();
  take(lines: readonly string[]): void {
    for (const line of lines) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line))
        this.#cookies.delete(pair.slice(0, eq));
      else this.#cookies.set(pair.slice(0, eq).trim(), value);
    }
  }
  header(): Record<string, string> {
    return this.#cookies.size ? { cookie: [...this.#cookies].map(([n, v]) => `${n}=${v}`).join('; ') } : {};
  }
}

function expectStatus(what: string, got: number, want: number | number[], text: string): void {
  if (![want].flat().includes(got)) throw new Error(`${what}: HTTP ${got} ${text.slice(0, 200)}`);
}

/** What both flows need: the simulator (WeChat), the hub, and the people's browser pools. */
export interface FlowTargets {
  readonly pools: Pools;
  /** The simulator's origin. */
  readonly sim: string;
  readonly hubUrl: string;
}

/**
 * The ticket flow for a person who logged in before: `/oauth/:appid/login` → consent (X-Sim-User)
 * → callback → `POST /v1/oauth/tickets/redeem` with a client key (`oauth` scope), openid checked.
 */
export function ticketFlow(
  targets: FlowTargets,
  options: { appid: string; key: string; returnTo: string },
  observe: HopObserver = unobserved,
) {
  const { pools, hubUrl } = targets;
  const loginUrl = new URL(
    `${hubUrl}/oauth/${options.appid}/login?return_to=${encodeURIComponent(options.returnTo)}&scope=snsapi_userinfo`,
  );
  return async (openid: string): Promise<void> => {
    const start = await observe('login', () => browserGet(pools, loginUrl));
    expectStatus('login', start.status, 302, start.text);
    const consent = await observe('consent (simulator)', () =>
      browserGet(pools, new URL(start.location!.href.replace(/#.*$/, '')), { 'x-sim-user': openid }),
    );
    expectStatus('consent', consent.status, 302, consent.text);
    const callback = await observe('callback', () => browserGet(pools, consent.location!));
    expectStatus('callback', callback.status, 302, callback.text);
    const ticket = callback.location!.searchParams.get('wxhub_ticket');
    if (!ticket) throw new Error(`callback: no ticket in ${callback.location}`);
    const text = await observe('redeem', async () => {
      const res = await pools.get(hubUrl).request({
        method: 'POST',
        path: '/v1/oauth/tickets/redeem',
        headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ticket }),
      });
      const body = await res.body.text();
      expectStatus('redeem', res.statusCode, 200, body);
      return body;
    });
    if ((JSON.parse(text) as { identity: { openid: string } }).identity.openid !== openid)
      throw new Error('redeem: another openid');
  };
}

/** The hub's pages of an OIDC login, named for the breakdown. */
function oidcHop(url: URL, sim: string): string {
  if (url.origin === sim) return 'consent (simulator)';
  const path = url.pathname;
  if (/\/auth$/.test(path)) return 'authorize';
  if (/\/auth\/[^/]+$/.test(path)) return 'resume';
  if (/\/interaction\/[^/]+\/wechat\//.test(path)) return 'wechat callback';
  if (/\/interaction\/[^/]+$/.test(path)) return 'interaction';
  return path;
}

/**
 * A complete OpenID Connect login for a person who logged in before: openid-client builds the
 * authorization request (PKCE S256, state, nonce) → `/oidc/auth` → interaction → consent → the
 * hub's WeChat callback → resume → the client's redirect URI → token endpoint (code and verifier;
 * ID token signature, issuer, audience and nonce checked) → userinfo, openid checked in both.
 */
export function oidcFlow(
  targets: FlowTargets,
  options: {
    rp: oidc.Configuration;
    redirectUri: string;
    /** Names the person in `login_hint`: for a provider that logs the hint in without WeChat. */
    loginHint?: boolean;
  },
  observe: HopObserver = unobserved,
) {
  const { pools, sim } = targets;
  const { rp, redirectUri } = options;
  return async (openid: string): Promise<void> => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    let url: URL = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(options.loginHint ? { login_hint: openid } : {}),
    });
    const jar = new Jar();
    for (let hop = 0; !url.href.startsWith(redirectUri); hop++) {
      if (hop > 10) throw new Error('too many hops');
      const toSim = url.origin === sim;
      const target = new URL(url.href.replace(/#.*$/, ''));
      const res = await observe(oidcHop(url, sim), () =>
        browserGet(pools, target, toSim ? { 'x-sim-user': openid } : jar.header()),
      );
      if (!toSim) jar.take(res.setCookie);
      expectStatus(`hop ${url.pathname}`, res.status, [302, 303], res.text);
      url = res.location!;
    }
    const callbackUrl = url;
    const tokens = await observe('token', () =>
      oidc.authorizationCodeGrant(rp, callbackUrl, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      }),
    );
    const claims = tokens.claims()!;
    if (claims.openid !== openid) throw new Error('ID token: another openid');
    const info = await observe('userinfo', () => oidc.fetchUserInfo(rp, tokens.access_token, claims.sub));
    if (info.openid !== openid) throw new Error('userinfo: another openid');
  };
}
