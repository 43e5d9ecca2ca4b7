import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/index.js';
import { isWxhubError } from '../../src/errors/index.js';
import { createHub } from '../../src/hub/index.js';
import { PROVIDER_SECRETS_SETTING } from '../../src/oidc/provider-secrets.js';
import { SIGNING_KEYS_SETTING } from '../../src/oidc/signing-keys.js';

const OA = 'wx1234567890abcdef';
const SITE = 'wx00000000000000aa';
const base = (extra: Partial<ConfigInput>): ConfigInput => ({
  store: 'memory:',
  database: 'memory:',
  // Nothing listens here: a token fetch would fail at once.
  wechat: { apiBase: 'http://127.0.0.1:9', openBase: 'http://127.0.0.1:9', timeoutMs: 200 },
  accounts: [
    { appid: OA, secret: 'oa-secret' },
    { appid: SITE, secret: 'site-secret', kind: 'website' },
  ],
  oauth: { encryptionKey: Buffer.alloc(32, 1).toString('base64') },
  ...extra,
});
const client = { client_id: 'rp', redirect_uris: ['https://rp.example.com/cb'], appid: OA };

async function refusal(config: ConfigInput): Promise<string> {
  const err = await createHub({ config, logger: pino({ level: 'silent' }), proactiveRefresh: false }).then(
    async (hub) => {
      await hub.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(isWxhubError(err, 'WXHUB_ERR_INVALID_CONFIG'), String(err)).toBe(true);
  return (err as Error).message;
}

describe('OpenID Connect provider configuration', () => {
  it('needs publicUrl for its clients (the issuer)', async () => {
    expect(await refusal(base({ oidc: { clients: [client] } }))).toContain('oidc.clients needs publicUrl');
  });

  it('ties each client to a configured Official Account and a website app of kind website', async () => {
    const message = await refusal(
      base({
        publicUrl: 'https://login.example.com',
        oidc: {
          clients: [
            { ...client, appid: 'wx9999999999999999' },
            { ...client, client_id: 'b', appid: SITE },
            { ...client, client_id: 'c', websiteAppid: OA },
          ],
        },
      }),
    );
    expect(message).toContain(
      'oidc.clients[0].appid wx9999999999999999 is not a configured Official Account',
    );
    expect(message).toContain(`oidc.clients[1].appid ${SITE} is not a configured Official Account`);
    expect(message).toContain(
      `oidc.clients[2].websiteAppid ${OA} is not an accounts entry with "kind": "website"`,
    );
  });

  it("checks each client's metadata at start", async () => {
    const message = await refusal(
      base({
        publicUrl: 'https://login.example.com',
        oidc: {
          clients: [
            {
              ...client,
              redirect_uris: ['https://rp.example.com/cb', 'http://other.example.com/cb'],
              pairwise: true,
            },
          ],
        },
      }),
    );
    expect(message).toContain('oidc.clients[0] (rp)');
  });

  it('starts without a publicUrl and no clients (provider off), and never fetches a token for a website app', async () => {
    const hub = await createHub({
      config: base({}),
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
    });
    try {
      expect(hub.services.oidc).toBeUndefined();
      expect(hub.manager.appids()).toEqual([OA]);
      expect((await hub.app.inject({ url: '/oidc/.well-known/openid-configuration' })).statusCode).toBe(404);
    } finally {
      await hub.close();
    }
  });

  it('limits login starts per client address (oauth.loginRateLimit), not their continuations', async () => {
    const hub = await createHub({
      config: base({
        publicUrl: 'https://login.example.com',
        oidc: { clients: [client] },
        oauth: {
          encryptionKey: Buffer.alloc(32, 1).toString('base64'),
          loginRateLimit: { perSecond: 0.001, burst: 2 },
        },
      }),
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
    });
    try {
      const start = () => hub.app.inject({ url: '/oidc/auth?client_id=rp&response_type=code&scope=openid' });
      expect((await start()).statusCode).not.toBe(429);
      expect((await start()).statusCode).not.toBe(429);
      const limited = await start();
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['x-wxhub-error']).toBe('WXHUB_ERR_RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await hub.app.inject({ url: '/oidc/auth/some-uid' })).statusCode).not.toBe(429);
    } finally {
      await hub.close();
    }
  });

  it('serves discovery under {publicUrl}/oidc whatever Host a request comes with', async () => {
    const hub = await createHub({
      config: base({ publicUrl: 'https://login.example.com/wx', oidc: { clients: [client] } }),
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
    });
    try {
      const res = await hub.app.inject({
        url: '/oidc/.well-known/openid-configuration',
        headers: { host: 'evil.example.com', 'x-forwarded-host': 'evil.example.com' },
      });
      expect(res.statusCode).toBe(200);
      const meta = res.json();
      expect(meta.issuer).toBe('https://login.example.com/wx/oidc');
      expect(meta.token_endpoint).toBe('https://login.example.com/wx/oidc/token');
      expect(meta.jwks_uri).toBe('https://login.example.com/wx/oidc/jwks');
      expect(meta.end_session_endpoint).toBe('https://login.example.com/wx/oidc/session/end');
      expect(meta.claims_supported).toEqual(
        expect.arrayContaining(['sub', 'openid', 'unionid', 'is_follower', 'nickname', 'picture']),
      );
    } finally {
      await hub.close();
    }
  });

  it('keeps the signing keys and cookie keys sealed in the database, and refuses another encryption key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-oidc-keys-'));
    const config = (key: number) =>
      base({
        database: `sqlite:${join(dir, 'hub.db')}`,
        publicUrl: 'https://login.example.com',
        oidc: { clients: [client] },
        oauth: { encryptionKey: Buffer.alloc(32, key).toString('base64') },
      });
    const hub = await createHub({
      config: config(1),
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
    });
    try {
      const jwks = (await hub.app.inject({ url: '/oidc/jwks' })).json() as { keys: { n: string }[] };
      for (const name of [SIGNING_KEYS_SETTING, PROVIDER_SECRETS_SETTING]) {
        const stored = (await hub.database.settings.get(name))!;
        expect(stored).toMatch(/^v1\./);
        expect(stored).not.toContain('"d"');
        expect(stored).not.toContain(jwks.keys[0]!.n.slice(0, 40));
      }
    } finally {
      await hub.close();
    }
    expect(await refusal(config(2))).toContain(`database setting ${PROVIDER_SECRETS_SETTING} does not open`);
  });
});
