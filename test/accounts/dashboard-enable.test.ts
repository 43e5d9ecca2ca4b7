import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../../src/hub/index.js';
import { startTestSim, type TestSim } from '../support/sim.js';
import { adminSession, HTML } from '../web/support/web-fixture.js';

describe('dashboard: "Enable" on an account stopped by a configuration error', () => {
  let sim: TestSim;
  let hub: Hub;
  let account: { appid: string; secret: string };
  let cookie: string;

  beforeAll(async () => {
    sim = await startTestSim();
    account = await sim.account();
    hub = await createHub({
      config: {
        store: 'memory:',
        database: 'memory:',
        secretsKey: randomBytes(32).toString('base64'),
        wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: 2000 },
        accounts: [account],
      },
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
      tokens: { retryStrategy: () => null },
    });
    cookie = await adminSession(hub);
  });
  afterAll(async () => {
    await hub?.close();
    await sim?.close();
  });

  const page = () =>
    hub.app.inject({ url: `/admin/accounts/${account.appid}`, headers: { ...HTML, cookie } });
  const enable = (csrf: string | undefined) =>
    hub.app.inject({
      method: 'POST',
      url: `/admin/accounts/${account.appid}/enable`,
      headers: { ...HTML, cookie },
      payload: csrf === undefined ? {} : { _csrf: csrf },
    });

  it('is shown only while the account is stopped, needs the CSRF token, and ends the cool-down', async () => {
    expect((await page()).body).not.toContain('id="enable-account"');
    await sim.fault({
      path: '/cgi-bin/stable_token',
      appid: account.appid,
      rate: 1,
      errcode: 40164,
      count: 1,
    });
    await expect(hub.manager.getAccessToken(account.appid)).rejects.toThrow();
    expect(hub.manager.status(account.appid).disabledUntil).not.toBeNull();

    const stopped = await page();
    expect(stopped.body).toContain('id="enable-account"');
    const form =
      /<form method="post" action="([^"]+)"[^>]*><input type="hidden" name="_csrf" value="([^"]+)"><button[^>]*id="enable-account"/.exec(
        stopped.body,
      );
    expect(form?.[1]).toBe(`/admin/accounts/${account.appid}/enable`);

    expect((await enable(undefined)).statusCode).toBe(403);
    expect((await enable('forged')).statusCode).toBe(403);
    expect(hub.manager.status(account.appid).disabledUntil).not.toBeNull();

    const done = await enable(form![2]);
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/admin/accounts/${account.appid}`);
    expect(hub.manager.status(account.appid).disabledUntil).toBeNull();
    await expect(hub.manager.getAccessToken(account.appid)).resolves.toMatchObject({
      value: expect.any(String),
    });
    expect((await page()).body).not.toContain('id="enable-account"');
  });

  it('answers 404 for an account the hub does not serve', async () => {
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await page()).body)![1];
    const res = await hub.app.inject({
      method: 'POST',
      url: '/admin/accounts/wx00000000000000ff/enable',
      headers: { ...HTML, cookie },
      payload: { _csrf: csrf },
    });
    expect(res.statusCode).toBe(404);
  });
});
