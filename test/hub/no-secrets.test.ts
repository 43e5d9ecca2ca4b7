import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHubLogger } from '../../src/hub/hub-logger.js';
import { type ServedHub, startServedHub } from '../clients/support/served-hub.js';
import { type SocketRequest, socketRequest } from '../security/support/socket-request.js';
import { startTestSim, type TestSim } from '../support/sim.js';
import { APP_A, APP_C, bearer, SECRET_A, SECRET_B, SECRET_C, testHub } from './support/hub-fixture.js';

/** The logger `wxhub serve` builds (hub-logger.ts), writing into memory. */
function serveLogger() {
  const lines: string[] = [];
  const logger = createHubLogger(
    'trace',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  return { logger, text: () => lines.join('') };
}

/**
 * Over a real socket to a listening hub, twice: with the default configuration (the fast lanes
 * take what they can; refusals and failures get their lines) and with every request logged.
 */
describe.each<[string, { requests?: 'all' }]>([
  ['the default configuration (fast lanes on)', {}],
  ['every request logged', { requests: 'all' }],
])('no secret in logs or bodies: %s', (_name, logging) => {
  it('a whole run through every route logs no appsecret, client key, token or stand-in', async () => {
    const capture = serveLogger();
    const t = await testHub({ logger: capture.logger, config: { logging: { level: 'trace', ...logging } } });
    const base = await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    const seen: string[] = [];
    try {
      const key = await t.key(['token', 'refresh', 'proxy', 'oauth'], [APP_A, APP_C]);
      const inject = async (opts: SocketRequest) => {
        const res = await socketRequest(base, opts);
        seen.push(res.body);
        return res;
      };
      const token = (
        await inject({ url: `/v1/accounts/${APP_A}/access-token`, headers: bearer(key) })
      ).json();
      await inject({
        method: 'POST',
        url: `/v1/accounts/${APP_A}/access-token/refresh`,
        headers: bearer(key),
        payload: { stale_token: token.access_token },
      });
      await inject({ url: `/v1/accounts/${APP_A}/jsapi-ticket`, headers: bearer(key) });
      await inject({
        method: 'POST',
        url: `/v1/accounts/${APP_A}/jsapi-signature`,
        headers: bearer(key),
        payload: { url: 'https://x.example/' },
      });
      await inject({ url: `/v1/accounts/${APP_A}/access-token`, headers: bearer(`${key}x`) });
      const standIn = (
        await inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secret=${key}` })
      ).json().access_token as string;
      await inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_C}&secret=${SECRET_C}` });
      await inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secret=${SECRET_A}` });
      await inject({
        url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secre%74=${SECRET_A}`,
      });
      await inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&%73ecret=${key}` });
      t.fake.invalidate(APP_A);
      await inject({ url: `/cgi-bin/user/info?access_token=${standIn}&openid=o1` });
      await inject({ url: `/cgi-bin/user/info?access%5Ftoken=${standIn}&openid=o1` });
      await inject({ url: `/cgi-bin/user/info?access_token=${key}&openid=o1&appid=${APP_A}` });
      await inject({ url: `/cgi-bin/user/info?access_token=${t.fake.current(APP_A)}&openid=o1` });
      await inject({
        url: `/sns/oauth2/access_token?appid=${APP_A}&secret=${key}&code=SECRETCODE123&grant_type=authorization_code`,
      });
      await inject({ url: `/sns/userinfo?access_token=WEBTOKEN123456&openid=o1` });
      await inject({ url: `/nope?secret=${key}` });
      await inject({ url: `/cgi-bin/../x?access_token=${standIn}` });

      const logs = capture.text();
      expect(logs).toContain('request completed');
      // Refusals are logged either way; successes only when every request is.
      for (const redacted of ['secret=***', 'secre%74=***', 'access_token=***'])
        expect(logs).toContain(redacted);
      if (logging.requests === 'all')
        for (const redacted of ['%73ecret=***', 'code=***']) expect(logs).toContain(redacted);
      const secrets = {
        SECRET_A,
        SECRET_B,
        SECRET_C,
        key,
        keySecret: key.slice(-43),
        token: token.access_token,
        standIn,
        ...Object.fromEntries(t.fake.issued.get(APP_A)!.map((v, i) => [`real${i}`, v])),
        code: 'SECRETCODE123',
        webToken: 'WEBTOKEN123456',
      };
      for (const [name, value] of Object.entries(secrets)) {
        expect(logs.includes(value), `${name} in the logs`).toBe(false);
      }
      // Bodies: the /v1 token answers carry the real token by design; nothing else does.
      const bodies = seen.filter((b) => !b.includes('"access_token"') || b.includes('errcode')).join('\n');
      for (const value of [SECRET_A, SECRET_B, SECRET_C, key, ...t.fake.issued.get(APP_A)!]) {
        expect(bodies.includes(value)).toBe(false);
      }
      expect(seen.join('\n')).not.toMatch(/\s+at .+:\d+:\d+/);
    } finally {
      await t.close();
    }
  });

  it('the logger wxhub serve builds censors every credential field and redacts every URL field', () => {
    const { logger, text } = serveLogger();
    const S = 'S3CR3T-VALUE-0123456789';
    const url = `/cgi-bin/token?grant_type=client_credential&secre%74=${S}&%73ecret=${S}&access%5Ftoken=${S}`;
    logger.info({
      secret: S,
      appsecret: S,
      access_token: S,
      refresh_token: S,
      stale_token: S,
      ticket: S,
      authorization: `Bearer ${S}`,
      cookie: `session=${S}`,
      key: S,
      url,
      req: { method: 'GET', url, headers: { authorization: `Bearer ${S}`, cookie: S } },
      headers: { authorization: `Bearer ${S}`, cookie: S },
      account: { appid: 'wx1', secret: S, access_token: S },
    });
    const line = JSON.parse(text()) as { [field: string]: unknown; req: { url: string; headers: unknown } };
    expect(text()).not.toContain(S);
    for (const field of [
      'secret',
      'appsecret',
      'access_token',
      'refresh_token',
      'stale_token',
      'ticket',
      'key',
    ])
      expect(line[field], field).toBe('***');
    expect(line.authorization).toBe('***');
    expect(line.headers).toEqual({ authorization: '***', cookie: '***' });
    expect(line.req.headers).toEqual({ authorization: '***', cookie: '***' });
    expect(line.account).toEqual({ appid: 'wx1', secret: '***', access_token: '***' });
    // A URL keeps its path and its harmless parameters.
    const redacted =
      '/cgi-bin/token?grant_type=client_credential&secre%74=***&%73ecret=***&access%5Ftoken=***';
    expect(line.url).toBe(redacted);
    expect(line.req.url).toBe(redacted);
    expect(line.service).toBe('wxhub');
  });
});

describe('a real `wxhub serve` process', () => {
  let sim: TestSim;
  let served: ServedHub;
  let account: { appid: string; secret: string };

  beforeAll(async () => {
    sim = await startTestSim();
    account = await sim.account();
    // The default request logging (refusals, failures, slow answers), at info.
    served = await startServedHub(sim.url, [account], { logging: { level: 'info' } });
  });
  afterAll(async () => {
    await served?.close();
    await sim?.close();
  });

  it('logs no credential, in any spelling the hub reads, on its stderr', async () => {
    const key = await served.key(account.appid, 'token,proxy');
    const wrong = `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
    const base = served.hub.url;
    const token = `/cgi-bin/token?grant_type=client_credential&appid=${account.appid}`;
    const standIn = (
      (await (await fetch(`${base}${token}&secret=${key}`)).json()) as { access_token: string }
    ).access_token;
    const forged = `${standIn.slice(0, -4)}${standIn.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const refusals = [
      ...['secret', 'secre%74', '%73ecret', 'SECRET'].flatMap((name) => [
        `${token}&${name}=${wrong}`,
        `${token}&${name}=${account.secret}`,
      ]),
      ...['access_token', 'access%5Ftoken', 'ACCESS_TOKEN'].map(
        (name) => `/cgi-bin/user/get?${name}=${forged}`,
      ),
      `/cgi-bin/user/get?access%5Ftoken=${wrong}`,
      `/cgi-bin/${key}/get`,
      `/v1/accounts/${account.appid}/access-token?secret=${account.secret}&access_token=${key}`,
    ];
    for (const path of refusals) {
      const res = await fetch(`${base}${path}`);
      expect(res.status === 200 || res.status === 401, path).toBe(true);
      await res.arrayBuffer();
    }
    // The lines reach this process through a pipe: wait for all of them.
    const completed = () =>
      served.hub
        .stderr()
        .split('\n')
        .filter((l) => l.includes('request completed'));
    await vi.waitFor(() => expect(completed()).toHaveLength(refusals.length), { timeout: 10_000 });
    const stderr = served.hub.stderr();
    const lines = completed();
    for (const value of [key, key.slice(-43), wrong.slice(-43), account.secret, standIn, forged])
      expect(stderr).not.toContain(value);
    for (const redacted of ['secret=***', 'secre%74=***', '%73ecret=***', 'SECRET=***', 'access%5Ftoken=***'])
      expect(stderr).toContain(redacted);
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: 'wxhub', res: { statusCode: 200 } });
  });
});
