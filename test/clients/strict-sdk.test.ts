import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedHub, startServedHub } from './support/served-hub.js';
import { type SimProcess, startSimProcess } from './support/sim-process.js';
import { ApiError, type Session, StrictSdkClient, TransportError } from './support/strict-sdk-client.js';

/**
 * Code using an SDK that checks the HTTP status before the body (wechatpy, node-socialite), moved
 * to the hub by changing its host and putting a client key where the appsecret was. The hub and
 * the simulator each run in their own process (`wxhub serve`, `wxhub sim`), as in production.
 */
describe('an SDK that raises on any non-2xx, moved to a real hub', () => {
  let sim: SimProcess;
  let served: ServedHub;
  let account: { appid: string; secret: string };
  let key: string;
  /** A client of the hub, as code moved there runs it: a client key where the appsecret was. */
  const viaHub = (secret = key, session: Session = {}) =>
    new StrictSdkClient({ base: served.hub.url, appid: account.appid, secret, session });
  const userGets = async () => (await sim.control.stats()).calls['/cgi-bin/user/get'] ?? 0;

  beforeAll(async () => {
    sim = await startSimProcess();
    account = await sim.account();
    await sim.control.user(account.appid, { nickname: 'Ann' });
    served = await startServedHub(sim.url, [account], {
      wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: 500 },
    });
    key = await served.key(account.appid, 'token,proxy');
  });
  afterAll(async () => {
    await served?.close();
    await sim?.stop();
  });

  it('recovers on its first call with a token cached from before the move: 40001 (HTTP 200), a new token, one retry', async () => {
    // Before the move: the client talks to WeChat itself and caches WeChat's token.
    const session: Session = {};
    const direct = new StrictSdkClient({
      base: sim.url,
      appid: account.appid,
      secret: account.secret,
      session,
    });
    expect(await direct.get('/cgi-bin/user/get')).toMatchObject({ total: 1 });
    const cachedFromWeChat = session.token;

    // The move: the hub's host, a client key as the secret; the session (Redis, in wechatpy's case) stays.
    const moved = viaHub(key, session);
    const before = await userGets();
    expect(await moved.get('/cgi-bin/user/get')).toMatchObject({ total: 1 });
    expect(moved.log).toEqual([
      '/cgi-bin/user/get → 200 errcode 40001', // a token the hub did not hand out: refused, WeChat not called
      '/cgi-bin/token → 200 errcode 0', // the SDK's own recovery runs: a stand-in from the hub
      '/cgi-bin/user/get → 200 errcode 0',
    ]);
    expect(session.token).not.toBe(cachedFromWeChat);
    expect(await userGets()).toBe(before + 1);
    // And from then on, one call each.
    await moved.get('/cgi-bin/user/get');
    expect(moved.log).toHaveLength(4);
  });

  it('keeps working across WeChat rotating the token behind its back (the hub retries, the SDK never sees 40001)', async () => {
    const client = viaHub();
    await client.get('/cgi-bin/user/get');
    await sim.control.invalidateTokens(account.appid);
    expect(await client.get('/cgi-bin/user/get')).toMatchObject({ total: 1 });
    expect(client.log.filter((line) => line.includes('errcode 4'))).toEqual([]);
  });

  it("gets the hub's refusals as WeChat errors with their errcode, never as transport failures", async () => {
    const wrong = `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
    const badKey = viaHub(wrong);
    await expect(badKey.fetchAccessToken()).rejects.toMatchObject({ name: 'ApiError', errcode: 40125 });
    const noSecret = viaHub('');
    await expect(noSecret.fetchAccessToken()).rejects.toMatchObject({ name: 'ApiError', errcode: 41004 });

    const slow = await served.key(account.appid, 'token,proxy', ['--rate-limit', '0.01', '--burst', '2']);
    const limited = viaHub(slow);
    await limited.get('/cgi-bin/user/get'); // two of its two: the token, then the call
    const over = await limited.get('/cgi-bin/user/get').catch((err: unknown) => err);
    expect(over).toBeInstanceOf(ApiError);
    expect(over).toMatchObject({ errcode: 45011 });
  });

  it('gets a WeChat that does not answer as errcode -1 (HTTP 200), and a gateway HTML 502 as it came', async () => {
    const client = viaHub();
    await client.get('/cgi-bin/user/get');
    await sim.control.fault({ path: '/cgi-bin/user/get', rate: 1, hang: true, count: 1 });
    await expect(client.get('/cgi-bin/user/get')).rejects.toMatchObject({ name: 'ApiError', errcode: -1 });
    await sim.control.fault({
      path: '/cgi-bin/user/get',
      rate: 1,
      httpStatus: 502,
      body: '<html><body>502 Bad Gateway</body></html>',
      count: 1,
    });
    const relayed = await client.get('/cgi-bin/user/get').catch((err: unknown) => err);
    expect(relayed).toBeInstanceOf(TransportError);
    expect(relayed).toMatchObject({ status: 502 });
    await sim.control.clearFaults();
    expect(await client.get('/cgi-bin/user/get')).toMatchObject({ total: 1 });
  });
});
