import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../../src/hub/index.js';
import { startTestSim, type TestSim } from '../support/sim.js';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('/v1/admin/accounts', () => {
  let sim: TestSim;
  let hub: Hub;
  let admin: string;
  let tokenKey: string;
  let config: { appid: string; secret: string };

  beforeAll(async () => {
    sim = await startTestSim();
    config = await sim.account();
    hub = await createHub({
      config: {
        store: 'memory:',
        database: 'memory:',
        secretsKey: randomBytes(32).toString('base64'),
        wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: 2000 },
        accounts: [{ appid: config.appid, secret: config.secret }],
      },
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
      tokens: { retryStrategy: () => null },
    });
    admin = (await hub.services.keys.create({ name: 'ops', appids: [], scopes: ['admin'] })).key;
    tokenKey = (await hub.services.keys.create({ name: 'app', appids: [config.appid], scopes: ['token'] }))
      .key;
  });
  afterAll(async () => {
    await hub?.close();
    await sim?.close();
  });

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, key = admin) =>
    hub.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });

  it('adds an account that is served at once, its secret never shown', async () => {
    const { appid, secret } = await sim.account();
    const added = await call('POST', '/v1/admin/accounts', {
      appid,
      secret,
      name: 'Shop',
      return_to: ['https://shop.example.com'],
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({
      appid,
      name: 'Shop',
      kind: 'official',
      source: 'database',
      enabled: true,
      token_mode: 'stable',
      return_to: ['https://shop.example.com'],
      version: 1,
    });
    expect(added.body).not.toContain(secret);
    expect(hub.manager.hasAccount(appid)).toBe(true);
    const key = (await hub.services.keys.create({ name: 'shop', appids: [appid], scopes: ['token'] })).key;
    const token = await call('GET', `/v1/accounts/${appid}/access-token`, undefined, key);
    expect(token.statusCode, token.body).toBe(200);
    expect(hub.services.login.account(appid)?.oauth.returnTo).toEqual(['https://shop.example.com']);

    const list = await call('GET', '/v1/admin/accounts');
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(secret);
    expect(list.body).not.toContain(config.secret);
    const sources = Object.fromEntries(
      list.json().accounts.map((a: { appid: string; source: string }) => [a.appid, a.source]),
    );
    expect(sources).toMatchObject({ [config.appid]: 'config', [appid]: 'database' });
  });

  it('set-secret replaces the secret (the next fetch uses it), remove stops serving', async () => {
    const { appid, secret } = await sim.account();
    expect((await call('POST', '/v1/admin/accounts', { appid, secret: 'f'.repeat(32) })).statusCode).toBe(
      201,
    );
    const key = (await hub.services.keys.create({ name: 'x', appids: [appid], scopes: ['token'] })).key;
    const wrong = await call('GET', `/v1/accounts/${appid}/access-token`, undefined, key);
    expect(wrong.statusCode).toBe(503);
    const replaced = await call('PUT', `/v1/admin/accounts/${appid}/secret`, { secret });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json().version).toBe(2);
    expect(replaced.body).not.toContain(secret);
    const right = await call('GET', `/v1/accounts/${appid}/access-token`, undefined, key);
    expect(right.statusCode, right.body).toBe(200);

    const removed = await call('DELETE', `/v1/admin/accounts/${appid}`);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ appid, removed: true });
    expect(hub.manager.hasAccount(appid)).toBe(false);
    expect((await call('GET', `/v1/accounts/${appid}/access-token`, undefined, key)).statusCode).toBe(404);
    expect((await call('DELETE', `/v1/admin/accounts/${appid}`)).statusCode).toBe(404);
  });

  it('needs an admin key', async () => {
    expect((await hub.app.inject({ url: '/v1/admin/accounts' })).statusCode).toBe(401);
    const forbidden = await call('GET', '/v1/admin/accounts', undefined, tokenKey);
    expect(forbidden.statusCode).toBe(403);
    const add = await call(
      'POST',
      '/v1/admin/accounts',
      { appid: 'wx00000000000000aa', secret: 'x' },
      tokenKey,
    );
    expect(add.statusCode).toBe(403);
    expect(hub.services.accounts.has('wx00000000000000aa')).toBe(false);
  });

  it('validates input, naming the field and never echoing the secret', async () => {
    const secret = `sec ret ${randomBytes(8).toString('hex')}`;
    const bad = await call('POST', '/v1/admin/accounts', { appid: 'wx1', secret });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('WXHUB_ERR_INVALID_ARGUMENT');
    expect(bad.json().error.message).toContain('appid');
    expect(bad.json().error.message).toContain('secret');
    expect(bad.body).not.toContain(secret);
    const extra = await call('POST', '/v1/admin/accounts', {
      appid: 'wx00000000000000ab',
      secret: 'abc',
      admin: true,
    });
    expect(extra.statusCode).toBe(400);
    const returnTo = await call('POST', '/v1/admin/accounts', {
      appid: 'wx00000000000000ab',
      secret: 'abc',
      return_to: ['javascript:alert(1)'],
    });
    expect(returnTo.statusCode).toBe(400);
    expect(returnTo.json().error.message).toContain('return_to');
    const text = await hub.app.inject({
      method: 'POST',
      url: '/v1/admin/accounts',
      headers: { ...bearer(admin), 'content-type': 'text/plain' },
      payload: 'appid=wx00000000000000ab',
    });
    expect(text.statusCode).toBe(415);
    expect((await call('DELETE', '/v1/admin/accounts/not-an-appid')).statusCode).toBe(400);
  });

  it('refuses a known appid (409) and changes to config-file accounts (400)', async () => {
    const dup = await call('POST', '/v1/admin/accounts', { appid: config.appid, secret: 'abc' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('WXHUB_ERR_ACCOUNT_EXISTS');
    const { appid, secret } = await sim.account();
    await call('POST', '/v1/admin/accounts', { appid, secret });
    expect((await call('POST', '/v1/admin/accounts', { appid, secret })).statusCode).toBe(409);
    const remove = await call('DELETE', `/v1/admin/accounts/${config.appid}`);
    expect(remove.statusCode).toBe(400);
    expect(remove.json().error.message).toContain('configuration file');
    expect(
      (await call('PUT', `/v1/admin/accounts/${config.appid}/secret`, { secret: 'abc' })).statusCode,
    ).toBe(400);
    expect((await call('POST', '/v1/admin/accounts/wx00000000000000ff/enable')).statusCode).toBe(404);
  });

  it('a disabled runtime account is stored but not served until enabled', async () => {
    const { appid, secret } = await sim.account();
    const added = await call('POST', '/v1/admin/accounts', { appid, secret, enabled: false });
    expect(added.json()).toMatchObject({ enabled: false, token: null });
    expect(hub.manager.hasAccount(appid)).toBe(false);
    expect(hub.services.login.account(appid)).toBeUndefined();
    const enabled = await call('POST', `/v1/admin/accounts/${appid}/enable`);
    expect(enabled.statusCode).toBe(200);
    expect(enabled.json()).toMatchObject({ enabled: true, version: 2, token: { disabled_until: null } });
    expect(hub.manager.hasAccount(appid)).toBe(true);
  });

  it('a website app is served for login but gets no access_token', async () => {
    const { appid, secret } = await sim.account({ kind: 'website' });
    const added = await call('POST', '/v1/admin/accounts', { appid, secret, kind: 'website' });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ kind: 'website', token: null });
    expect(hub.manager.hasAccount(appid)).toBe(false);
    expect(hub.services.accounts.served(appid)?.kind).toBe('website');
  });

  it('enable brings back a config-file account stopped by 40164 without waiting for the cool-down', async () => {
    await sim.fault({
      path: '/cgi-bin/stable_token',
      appid: config.appid,
      rate: 1,
      errcode: 40164,
      count: 1,
    });
    const refused = await call('GET', `/v1/accounts/${config.appid}/access-token`, undefined, tokenKey);
    expect(refused.statusCode, refused.body).toBe(503);
    const listed = (await call('GET', '/v1/admin/accounts'))
      .json()
      .accounts.find((a: { appid: string }) => a.appid === config.appid);
    expect(listed.token.disabled_until).toBeGreaterThan(Date.now() / 1000);
    expect(listed.token.last_error.errcode).toBe(40164);
    // Still in its cool-down: no fetch is even tried.
    const before = await sim.calls(config.appid, '/cgi-bin/stable_token');
    const still = await call('GET', `/v1/accounts/${config.appid}/access-token`, undefined, tokenKey);
    expect(still.json().error.code).toBe('WXHUB_ERR_ACCOUNT_DISABLED');
    expect(await sim.calls(config.appid, '/cgi-bin/stable_token')).toBe(before);

    const enabled = await call('POST', `/v1/admin/accounts/${config.appid}/enable`);
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(enabled.json()).toMatchObject({ source: 'config', token: { disabled_until: null } });
    const served = await call('GET', `/v1/accounts/${config.appid}/access-token`, undefined, tokenKey);
    expect(served.statusCode, served.body).toBe(200);
  });
});
