import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/gateway/crypto/callback-signature.js';
import { type StartedHub, startHub } from '../../src/hub/start-hub.js';
import {
  aesKey,
  type PushOutcome,
  startSubscriber,
  type TestSubscriber,
  until,
  webhook,
} from '../gateway/hub/gateway-hub.js';
import { captureLogs } from '../support/log-capture.js';
import { startTestSim, type TestSim } from '../support/sim.js';
import { adminSession, HTML } from '../web/support/web-fixture.js';

/**
 * WeChat (the simulator) pushing to accounts added at run time, over HTTP, on a fleet of two hubs
 * sharing one database: each change is made on one hub and must reach the other by its poll.
 */
describe('accounts added at run time receive pushes at /callback/:appid', () => {
  let sim: TestSim;
  let crm: TestSubscriber;
  /** A bot: answers each push with `reply: <its Content>`. */
  let bot: TestSubscriber;
  let a: StartedHub;
  let b: StartedHub;
  let admin: string;
  const logs = captureLogs('trace');
  /** Every body the hubs answered in this file: none may hold a secret. */
  const answers: string[] = [];
  /** Every secret given in this file. */
  const secrets: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-rtcallback-'));

  const open = () =>
    startHub({
      config: {
        store: 'memory:',
        database: `sqlite:${join(dir, 'hub.db')}`,
        secretsKey: key,
        wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: 2000 },
        subscribers: [webhook('crm', crm), webhook('bot', bot)],
      },
      port: 0,
      host: '127.0.0.1',
      clock: sim.clock,
      logger: logs.logger,
      proactiveRefresh: false,
      accountPollMs: 200,
      gateway: { retryStrategy: (n) => (n > 3 ? null : 50), pollMs: 100 },
    });
  const key = randomBytes(32).toString('base64');

  /** A call to a hub's API over HTTP, its answer kept for the secrets check. */
  async function api(hub: StartedHub, method: string, path: string, body?: object, bearer = admin) {
    const res = await fetch(`${hub.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    answers.push(text);
    return { status: res.status, text, json: () => JSON.parse(text) };
  }

  /** WeChat's URL check, signed with `token`, straight to a hub: its status and body. */
  async function urlCheck(hub: StartedHub, appid: string, token: string) {
    const timestamp = String(Math.floor(sim.clock.now() / 1000));
    const nonce = String(randomBytes(4).readUInt32BE());
    const query = `signature=${sign(token, timestamp, nonce)}&timestamp=${timestamp}&nonce=${nonce}&echostr=e42`;
    const res = await fetch(`${hub.url}/callback/${appid}?${query}`);
    const text = await res.text();
    answers.push(text);
    return { status: res.status, text };
  }

  /** Saves the server URL in WeChat's console (the simulator checks it), retried until the hub's poll has the change. */
  async function pointWeChat(hub: StartedHub, appid: string, server: Record<string, unknown>) {
    let last: unknown;
    const start = Date.now();
    while (Date.now() - start < 5000) {
      try {
        return await sim.control('POST', `/__sim/accounts/${appid}/server`, {
          url: `${hub.url}/callback/${appid}`,
          ...server,
        });
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw last;
  }

  const push = (appid: string, openid: string, content: string) =>
    sim.control<PushOutcome>('POST', `/__sim/accounts/${appid}/users/${openid}/messages`, {
      msgType: 'text',
      content,
    });

  /** A runtime account with a follower; its secret is remembered for the secrets check. */
  async function newAccount() {
    const account = await sim.account();
    const { openid } = await sim.user(account.appid, { subscribe: 1 });
    secrets.push(account.secret);
    return { ...account, openid };
  }

  async function pulled(hub: StartedHub, appid: string): Promise<{ fields: { Content?: string } }[]> {
    const keys = hub.services.keys;
    const puller = (await keys.create({ name: `pull-${appid}`, appids: [appid], scopes: ['events'] })).key;
    const res = await api(hub, 'GET', `/v1/accounts/${appid}/events?limit=100`, undefined, puller);
    expect(res.status, res.text).toBe(200);
    return res.json().events;
  }

  beforeAll(async () => {
    sim = await startTestSim();
    crm = await startSubscriber();
    bot = await startSubscriber((event) => ({
      status: 200,
      body: JSON.stringify({ reply: { msgtype: 'text', content: `reply: ${String(event.fields.Content)}` } }),
    }));
    a = await open();
    b = await open();
    admin = (await a.services.keys.create({ name: 'ops', appids: [], scopes: ['admin'] })).key;
  });
  afterAll(async () => {
    await sim?.close();
    await a?.close();
    await b?.close();
    await crm?.close();
    await bot?.close();
  });

  it('safe mode: added on one hub, the other passes WeChat URL check, logs the push and delivers it', async () => {
    const { appid, secret, openid } = await newAccount();
    const token = `Tok${randomBytes(6).toString('hex')}`;
    const encodingAESKey = aesKey();
    secrets.push(token, encodingAESKey);
    const added = await api(a, 'POST', '/v1/admin/accounts', {
      appid,
      secret,
      callback: { token, encodingAESKey, mode: 'safe' },
    });
    expect(added.status, added.text).toBe(201);
    expect(added.json().callback).toEqual({ token: 'set', encodingAESKey: 'set', mode: 'safe', reply: null });

    await pointWeChat(b, appid, { token, encodingAESKey, mode: 'safe' });
    const outcome = await push(appid, openid, 'hello, runtime account');
    expect(outcome).toMatchObject({ attempts: 1, delivered: true, reply: null });
    await until(() => crm.events().some((e) => e.appid === appid), 10_000, 'the delivery');
    expect(crm.events().find((e) => e.appid === appid)).toMatchObject({
      openid,
      msg_type: 'text',
      fields: { Content: 'hello, runtime account', MsgId: outcome.msgId },
    });
    expect((await pulled(b, appid)).map((e) => e.fields.Content)).toEqual(['hello, runtime account']);
  });

  it('plain mode set with PUT .../callback: the new Token is served everywhere, the old one refused', async () => {
    const { appid, secret, openid } = await newAccount();
    const first = `First${randomBytes(4).toString('hex')}`;
    const second = `Second${randomBytes(4).toString('hex')}`;
    const encodingAESKey = aesKey();
    secrets.push(first, second, encodingAESKey);
    await api(a, 'POST', '/v1/admin/accounts', {
      appid,
      secret,
      callback: { token: first, encodingAESKey, mode: 'compatible' },
    });
    const set = await api(b, 'PUT', `/v1/admin/accounts/${appid}/callback`, { token: second, mode: 'plain' });
    expect(set.status, set.text).toBe(200);
    expect(set.json().callback).toEqual({
      token: 'set',
      encodingAESKey: 'not set',
      mode: 'plain',
      reply: null,
    });

    await pointWeChat(a, appid, { token: second, mode: 'plain' });
    expect((await urlCheck(a, appid, first)).status).toBe(403);
    const outcome = await push(appid, openid, 'in plain text');
    expect(outcome).toMatchObject({ attempts: 1, delivered: true });
    await until(() => crm.events().some((e) => e.appid === appid), 10_000, 'the delivery');
    expect((await pulled(a, appid)).map((e) => e.fields.Content)).toEqual(['in plain text']);
  });

  it('a wrong Token or EncodingAESKey is refused, and nothing is logged or delivered', async () => {
    const { appid, secret, openid } = await newAccount();
    const token = `Tok${randomBytes(6).toString('hex')}`;
    const encodingAESKey = aesKey();
    const wrongKey = aesKey();
    secrets.push(token, encodingAESKey, wrongKey);
    await api(a, 'POST', '/v1/admin/accounts', {
      appid,
      secret,
      callback: { token, encodingAESKey, mode: 'safe' },
    });
    await pointWeChat(b, appid, { token, encodingAESKey, mode: 'safe' });

    // The console refuses a wrong Token: the hub answers no echo.
    await expect(
      sim.control('POST', `/__sim/accounts/${appid}/server`, {
        url: `${b.url}/callback/${appid}`,
        token: 'WrongToken1',
        encodingAESKey,
        mode: 'safe',
      }),
    ).rejects.toThrow(/HTTP 400/);
    expect(await urlCheck(b, appid, 'WrongToken1')).toEqual({
      status: 403,
      text: 'WXHUB_ERR_CALLBACK_SIGNATURE\n',
    });
    // The URL check does not use the key, so WeChat saves a wrong one; its pushes do not decrypt.
    await sim.control('POST', `/__sim/accounts/${appid}/server`, {
      url: `${b.url}/callback/${appid}`,
      token,
      encodingAESKey: wrongKey,
      mode: 'safe',
    });
    const refused = await push(appid, openid, 'sealed with the wrong key');
    expect(refused).toMatchObject({ attempts: 3, delivered: false });
    expect(refused.tries.map((t) => t.status)).toEqual([400, 400, 400]);
    await new Promise((r) => setTimeout(r, 300)); // a delivery worker polls every 100 ms
    expect(await pulled(b, appid)).toEqual([]);
    expect(crm.events().some((e) => e.appid === appid)).toBe(false);

    await pointWeChat(b, appid, { token, encodingAESKey, mode: 'safe' });
    expect(await push(appid, openid, 'sealed right')).toMatchObject({ attempts: 1, delivered: true });
    expect((await pulled(b, appid)).map((e) => e.fields.Content)).toEqual(['sealed right']);
  });

  it('disabled or removed: the callback answers WeChat as for an unknown account, on every hub', async () => {
    const { appid, secret, openid } = await newAccount();
    const token = `Tok${randomBytes(6).toString('hex')}`;
    secrets.push(token);
    await api(a, 'POST', '/v1/admin/accounts', { appid, secret, callback: { token, mode: 'plain' } });
    await pointWeChat(b, appid, { token, mode: 'plain' });
    expect(await urlCheck(b, appid, token)).toEqual({ status: 200, text: 'e42' });

    // What the hub has always answered for an appid it does not know.
    const stranger = `wx${randomBytes(8).toString('hex')}`;
    const unknown = await urlCheck(b, stranger, token);
    expect(unknown).toEqual({ status: 404, text: 'WXHUB_ERR_CALLBACK_NOT_CONFIGURED\n' });

    const disabled = await api(a, 'POST', `/v1/admin/accounts/${appid}/disable`);
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.json()).toMatchObject({ enabled: false, callback: { token: 'set', mode: 'plain' } });
    await until(
      async () => (await urlCheck(b, appid, token)).status === 404,
      5000,
      'hub B to stop serving it',
    );
    expect(await urlCheck(b, appid, token)).toEqual(unknown);
    expect(await urlCheck(a, appid, token)).toEqual(unknown);
    const whileDisabled = await push(appid, openid, 'while disabled');
    expect(whileDisabled).toMatchObject({ delivered: false });
    expect(whileDisabled.tries.map((t) => t.status)).toEqual([404, 404, 404]);

    expect((await api(a, 'POST', `/v1/admin/accounts/${appid}/enable`)).status).toBe(200);
    await until(
      async () => (await urlCheck(b, appid, token)).status === 200,
      5000,
      'hub B to serve it again',
    );
    expect(await pulled(b, appid)).toEqual([]); // the push refused while disabled was not logged

    expect((await api(b, 'DELETE', `/v1/admin/accounts/${appid}`)).status).toBe(200);
    await until(async () => (await urlCheck(a, appid, token)).status === 404, 5000, 'hub A to forget it');
    expect(await urlCheck(a, appid, token)).toEqual(unknown);
    expect(await urlCheck(b, appid, token)).toEqual(unknown);
  });

  it('removing the callback refuses pushes while the account keeps being served', async () => {
    const { appid, secret } = await newAccount();
    const token = `Tok${randomBytes(6).toString('hex')}`;
    secrets.push(token);
    await api(a, 'POST', '/v1/admin/accounts', { appid, secret, callback: { token, mode: 'plain' } });
    await until(async () => (await urlCheck(b, appid, token)).status === 200, 5000, 'hub B to serve it');
    // The dashboard's account page says whether pushes come to the hub, and in which mode.
    const cookie = await adminSession(a);
    const pushShown = async () =>
      /data-push="(\w+)"/.exec(
        (await a.app.inject({ url: `/admin/accounts/${appid}`, headers: { ...HTML, cookie } })).body,
      )?.[1];
    expect(await pushShown()).toBe('plain');
    const removed = await api(a, 'DELETE', `/v1/admin/accounts/${appid}/callback`);
    expect(removed.status, removed.text).toBe(200);
    expect(removed.json()).toMatchObject({
      enabled: true,
      callback: { token: 'not set', encodingAESKey: 'not set', mode: null, reply: null },
    });
    await until(async () => (await urlCheck(b, appid, token)).status === 404, 5000, 'hub B to refuse it');
    expect(b.services.accounts.served(appid)).toBeDefined();
    expect(await pushShown()).toBe('none');
  });

  it('a reply subscriber set over the API answers in time; its queue skips those pushes until it is unset', async () => {
    const { appid, secret, openid } = await newAccount();
    const token = `Tok${randomBytes(6).toString('hex')}`;
    secrets.push(token);
    const unknown = await api(a, 'POST', '/v1/admin/accounts', {
      appid,
      secret,
      callback: { token, mode: 'plain', reply: { subscriber: 'nobody' } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toMatch(/callback\.reply\.subscriber: no webhook subscriber named nobody/);
    const added = await api(a, 'POST', '/v1/admin/accounts', {
      appid,
      secret,
      callback: { token, mode: 'plain', reply: { subscriber: 'bot', deadlineMs: 3000 } },
    });
    expect(added.status, added.text).toBe(201);
    expect(added.json().callback.reply).toEqual({ subscriber: 'bot', deadlineMs: 3000, lateReplyMs: 60_000 });

    const botGot = () => bot.events().filter((e) => e.appid === appid);
    await pointWeChat(b, appid, { token, mode: 'plain' });
    const first = await push(appid, openid, 'ping');
    expect(first.reply).toMatchObject({
      msgType: 'text',
      fields: { Content: 'reply: ping', ToUserName: openid },
    });
    await until(() => crm.events().some((e) => e.fields.Content === 'ping'), 10_000, 'the CRM delivery');
    // The queues of both hubs have run past the push (the CRM has it): the bot had it once, in time.
    await new Promise((r) => setTimeout(r, 500));
    expect(botGot().map((e) => e.fields.Content)).toEqual(['ping']);

    // Without the reply, the bot gets the pushes like any subscriber, and WeChat no answer from it.
    const unset = await api(b, 'PUT', `/v1/admin/accounts/${appid}/callback`, { token, mode: 'plain' });
    expect(unset.json().callback.reply).toBeNull();
    await until(
      () => a.services.accounts.served(appid)?.callback?.reply === undefined,
      5000,
      'hub A to apply it',
    );
    const second = await push(appid, openid, 'pong');
    expect(second.reply).toBeNull();
    await until(() => botGot().length === 2, 10_000, 'the queued delivery to the bot');
    expect(botGot().map((e) => e.fields.Content)).toEqual(['ping', 'pong']);
  });

  it('no secret in any API answer, the metrics or any log line of this file', async () => {
    const list = await api(b, 'GET', '/v1/admin/accounts');
    expect(list.status).toBe(200);
    const states = list.json().accounts.map((x: { callback: unknown }) => x.callback);
    expect(states).toContainEqual({ token: 'set', encodingAESKey: 'set', mode: 'safe', reply: null });
    answers.push(await (await fetch(`${a.url}/metrics`)).text());
    expect(secrets.length).toBeGreaterThanOrEqual(10);
    expect(answers.filter((text) => secrets.some((s) => text.includes(s)))).toEqual([]);
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(logs.leaks(secrets)).toEqual([]);
  });
});
