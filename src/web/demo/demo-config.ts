import type { ConfigInput } from '../../config/index.js';
import { DEMO_ACCOUNTS, DEMO_FIXTURE } from '../../sim/demo-fixture.js';
import type { SimFixture } from '../../sim/types.js';

/** Where `wxhub demo` keeps its tokens, users, identities, followers and keys (one SQLite file). */
export const DEMO_DATABASE = 'sqlite:.wxhub/demo.db';

/** Host names a browser may use to reach a demo bound to `host`. */
export function demoHostnames(host: string): string[] {
  const names = ['127.0.0.1', 'localhost'];
  const bare = host.replace(/^\[|\]$/g, '');
  if (!['0.0.0.0', '::', '', '127.0.0.1', 'localhost'].includes(bare)) names.push(bare);
  return names;
}

function urlHost(name: string): string {
  return name.includes(':') ? `[${name}]` : name;
}

/** The origins the demo site answers on: each allowed as the login's `return_to`. */
export function demoOrigins(host: string, port: number): string[] {
  return demoHostnames(host).map((name) => `http://${urlHost(name)}:${port}`);
}

/** The simulator's demo fixture, with `host` added to the accounts' web-authorization domains. */
export function demoFixture(host: string): SimFixture {
  const names = demoHostnames(host);
  return {
    accounts: DEMO_FIXTURE.accounts.map((account) => ({
      ...account,
      oauthDomains: [...new Set([...(account.oauthDomains ?? []), ...names])],
    })),
  };
}

/** The demo's push settings (public, like the demo secrets): WeChat's safe mode, as in production. */
export const DEMO_CALLBACK = Object.freeze({
  token: 'wxhubDemoCallbackToken',
  encodingAESKey: 'wxhubDemoEncodingAESKey0123456789abcdefghij',
  mode: 'safe' as const,
});

/** The OpenID Connect demo site's client id (a public client: PKCE, no secret). */
export const DEMO_OIDC_CLIENT = 'wxhub-demo-oidc-site';

/**
 * The hub configuration of `wxhub demo`, built in code: the two demo accounts pointed at the
 * simulator (stable tokens, snsapi_userinfo by default), logins allowed back to the demo's own
 * origins, tokens and people in one SQLite file under `.wxhub/`, pushes from the simulator, and
 * with `publicUrl` (the demo's URL, the OpenID Connect issuer's base) the demo OIDC site's client.
 */
export function demoConfig(input: {
  simulatorUrl: string;
  host: string;
  port: number;
  database?: string;
  /** `oauth.encryptionKey` (sealing kept web tokens); absent: the hub generates one. */
  encryptionKey?: string;
  /** The demo's own URL: the OpenID Connect issuer is `{publicUrl}/oidc`. Absent: no provider. */
  publicUrl?: string;
}): ConfigInput {
  const database = input.database ?? DEMO_DATABASE;
  const returnTo = demoOrigins(input.host, input.port);
  return {
    listen: { host: input.host, port: input.port },
    store: database,
    database,
    wechat: {
      apiBase: input.simulatorUrl,
      openBase: input.simulatorUrl,
      mpBase: input.simulatorUrl,
      timeoutMs: 5000,
    },
    accounts: DEMO_ACCOUNTS.map((account) => ({
      appid: account.appid,
      secret: account.secret,
      name: account.name,
      tokenMode: 'stable' as const,
      oauth: { returnTo, defaultScope: 'snsapi_userinfo' as const },
      // The simulator pushes each account's messages and events (QR scans: follow to log in) here.
      callback: { ...DEMO_CALLBACK },
    })),
    ...(input.encryptionKey ? { oauth: { encryptionKey: input.encryptionKey } } : {}),
    ...(input.publicUrl
      ? {
          publicUrl: input.publicUrl,
          oidc: {
            clients: [
              {
                client_id: DEMO_OIDC_CLIENT,
                redirect_uris: [`${input.publicUrl}/oidc-demo/callback`],
                appid: DEMO_ACCOUNTS[0]!.appid,
              },
            ],
          },
        }
      : {}),
    logging: { level: 'warn' },
  };
}
