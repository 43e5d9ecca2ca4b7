import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { LocalTokenProvider } from '../../src/client/local-token-provider.js';
import { parseConfig } from '../../src/config/index.js';
import { MemoryDatabase } from '../../src/db/index.js';
import type { WxhubError } from '../../src/errors/index.js';
import { HttpClient } from '../../src/http/index.js';
import { oauthContext, oauthRoutes } from '../../src/oauth/index.js';
import { keyGate, useZodSchemas } from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { TokenManager } from '../../src/tokens/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

const imports = (folder: string) =>
  readdirSync(new URL(`../../src/${folder}/`, import.meta.url)).flatMap((file) =>
    [
      ...readFileSync(new URL(`../../src/${folder}/${file}`, import.meta.url), 'utf8').matchAll(
        /from '([^']+)'/g,
      ),
    ].map((m) => `${file}: ${m[1]}`),
  );

describe('the login flow does not reach into the hub', () => {
  it('src/oauth imports nothing of src/hub, and src/server nothing of either', () => {
    expect(imports('oauth').filter((line) => line.includes('/hub/'))).toEqual([]);
    expect(imports('server').filter((line) => /\/(hub|oauth)\//.test(line))).toEqual([]);
  });

  it('the login routes run in a server that is not a hub, on the options they are given', async () => {
    const clock = new ManualClock(Date.now());
    const config = parseConfig({
      accounts: [
        { appid: 'wx1234567890abcdef', secret: 's', oauth: { returnTo: ['https://shop.example.com'] } },
      ],
      oauth: { encryptionKey: randomBytes(32).toString('base64') },
    });
    const store = new MemoryStore({ clock });
    const http = new HttpClient({ timeoutMs: 1000 });
    const manager = new TokenManager({ store, http, clock, accounts: [] });
    const login = await oauthContext({
      store,
      database: new MemoryDatabase(),
      clock,
      accounts: config.accounts,
      tokens: new LocalTokenProvider(manager),
      http,
      logger: silentLogger,
      wechat: config.wechat,
      oauth: config.oauth,
    });
    const app = Fastify();
    useZodSchemas(app);
    // The server that mounts the routes answers errors in the documented body.
    app.setErrorHandler((err: WxhubError, _request, reply) =>
      reply.code(err.statusCode).send({ error: { code: err.code, message: err.message } }),
    );
    const refusals: string[] = [];
    const gate = keyGate({
      keys: { verify: async () => null },
      hasAccount: () => true,
      limiter: { take: () => ({ ok: true }) },
      metrics: { authFailure: (reason) => refusals.push(reason), rateLimited: () => undefined },
    });
    await app.register(oauthRoutes, { login, gate, limiter: { take: () => ({ ok: true }) } });
    try {
      const res = await app.inject(
        `/oauth/wx1234567890abcdef/login?return_to=${encodeURIComponent('https://shop.example.com/x')}`,
      );
      expect(res.statusCode, res.body).toBe(302);
      expect(res.headers.location).toMatch(/^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize\?/);
      const redeem = await app.inject({ method: 'POST', url: '/v1/oauth/tickets/redeem', payload: {} });
      expect(redeem.statusCode, redeem.body).toBe(401);
      expect(redeem.json().error.code).toBe('WXHUB_ERR_UNAUTHORIZED');
      expect(refusals).toEqual(['missing_key']);
    } finally {
      await app.close();
      await manager.close();
      await http.close();
    }
  });
});
