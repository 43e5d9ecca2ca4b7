import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedHub, startHub } from '../../src/hub/index.js';
import { HubTokenProvider, WeChatClient } from '../../src/index.js';
import { startTestSim, type TestSim } from '../support/sim.js';

/**
 * Found by the chaos analysis (docs/reliability.md): in a 40001 storm the SDK asks the hub to
 * refresh, and the hub retries WeChat's token endpoint (4 attempts of `wechat.timeoutMs`, 5 s by
 * default, plus backoff). `HubTokenProvider` used to give up after 5 s, so a single hang of
 * WeChat's token endpoint failed the business call although the hub's retry succeeded a moment
 * later. Shipped defaults on both sides: the hub's 5 s WeChat timeout, the SDK's own HTTP client.
 */
describe('an SDK caller waiting on a hub refresh that outlasts one WeChat timeout', () => {
  let sim: TestSim;
  let hub: StartedHub;
  let key: string;
  let account: { appid: string; secret: string };
  let openid: string;

  beforeAll(async () => {
    sim = await startTestSim();
    account = await sim.account();
    openid = (await sim.user(account.appid)).openid;
    hub = await startHub({
      config: {
        store: 'memory:',
        database: 'memory:',
        wechat: { apiBase: sim.url, openBase: sim.url },
        accounts: [{ ...account, tokenMode: 'classic' }],
      },
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
    });
    key = (
      await hub.services.keys.create({ name: 'sdk', appids: [account.appid], scopes: ['token', 'refresh'] })
    ).key;
  });
  afterAll(async () => {
    await hub?.close();
    await sim?.close();
  });

  it('gets its answer once the hub’s retry succeeds', { timeout: 30_000 }, async () => {
    const client = new WeChatClient({
      appid: account.appid,
      tokens: new HubTokenProvider({ url: hub.url, key }),
      endpoints: { api: sim.url, open: sim.url },
    });
    try {
      expect((await client.users.get(openid)).openid).toBe(openid);
      // WeChat kills the token (a rogue fetched with no overlap), and its token endpoint hangs once.
      await sim.fault({ path: '/cgi-bin/token', rate: 1, hang: true, count: 1 });
      await sim.invalidate(account.appid, true);
      const started = Date.now();
      const user = await client.users.get(openid);
      expect(user.openid).toBe(openid);
      expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
      expect(await sim.calls(account.appid, '/cgi-bin/token')).toBe(3);
    } finally {
      await client.close();
    }
  });
});
