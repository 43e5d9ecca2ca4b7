import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, http } from '../fleet/support/processes.js';
import { startTestSim, type TestSim } from '../support/sim.js';
import { type ServedHub, startServedHub } from './support/served-hub.js';

/**
 * What an operator reads: `wxhub serve` with `logging.requests: all` writes one `request completed`
 * JSON line per request on stderr (by default only refused, failed and slow ones), naming the
 * client key by its id (the public part) and never the key, a secret or a token
 * (docs/operations.md, "Logs").
 */
describe('the request log of wxhub serve', () => {
  let sim: TestSim;
  let served: ServedHub;
  let appid: string;

  beforeAll(async () => {
    sim = await startTestSim();
    const account = await sim.account();
    appid = account.appid;
    served = await startServedHub(sim.url, [account], { logging: { level: 'info', requests: 'all' } });
  });
  afterAll(async () => {
    await served?.close();
    await sim?.close();
  });

  it('names the client key id, never the key, the token or the secret', async () => {
    const key = await served.key(appid, 'token,proxy');
    const id = key.split('_')[1]!;
    const secretPart = key.split('_').slice(2).join('_');
    const token = await http(`${served.hub.url}/v1/accounts/${appid}/access-token`, { headers: bearer(key) });
    expect(token.status).toBe(200);
    const dropIn = await http(
      `${served.hub.url}/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${key}`,
    );
    expect(dropIn.status).toBe(200);

    const lines = () =>
      served.hub
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown> & { req?: Record<string, string> });
    const completed = (route: string) =>
      lines().find((l) => l.msg === 'request completed' && l.route === route);
    expect(await eventually(() => completed('/cgi-bin/token') !== undefined, 3000), served.hub.stderr()).toBe(
      true,
    );

    const v1 = completed('/v1/accounts/:appid/access-token')!;
    expect(v1).toMatchObject({
      keyId: id,
      remoteAddress: '127.0.0.1',
      res: { statusCode: 200 },
      req: { method: 'GET', url: `/v1/accounts/${appid}/access-token` },
    });
    expect(v1.responseTime).toEqual(expect.any(Number));
    expect(completed('/cgi-bin/token')!.req!.url).toContain('secret=***');
    const text = served.hub.stderr();
    for (const secret of [secretPart, String(token.body.access_token), String(dropIn.body.access_token)]) {
      expect(text).not.toContain(secret);
    }
  });
});
