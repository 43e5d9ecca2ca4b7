import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SUBSCRIBERS_SETTING } from '../../../src/gateway/subscribers/runtime-subscribers.js';
import type { Hub } from '../../../src/hub/index.js';
import { startSubscriber, type TestSubscriber, until } from './gateway-hub.js';
import { injectHub, push, SHOP, text } from './inject-push.js';

let crm: TestSubscriber;
beforeAll(async () => {
  crm = await startSubscriber();
});
afterAll(() => crm?.close());

const hubs: Hub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.close();
  crm.received.length = 0;
  crm.state.down = false;
});

async function admin(extra: Parameters<typeof injectHub>[0] = {}) {
  const hub = await injectHub({
    gateway: { retryStrategy: () => null, pollMs: 50, subscriberSyncMs: 100 },
    ...extra,
    config: {
      subscribers: [
        { name: 'configured', url: 'https://user:pw@crm.example.com/wx?token=q', secret: crm.secret },
      ],
      ...extra.config,
    },
  });
  hubs.push(hub);
  const key = (await hub.services.keys.create({ name: 'ops', appids: [], scopes: ['admin'] })).key;
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    hub.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload } : {}),
    });
  return { hub, call, key };
}

describe('/v1/admin/subscribers', () => {
  it('registers a webhook with a generated secret, lists without secrets, and removes it', async () => {
    const { hub, call } = await admin();
    const created = await call('POST', '/v1/admin/subscribers', {
      name: 'bot',
      url: 'https://bot.example.com/hook?k=1',
    });
    expect(created.statusCode, created.body).toBe(201);
    const { subscriber, secret } = created.json();
    expect(secret).toMatch(/^whsec_/);
    expect(subscriber).toMatchObject({
      name: 'bot',
      kind: 'webhook',
      target: 'https://bot.example.com/hook',
      source: 'api',
    });
    const listed = await call('GET', '/v1/admin/subscribers');
    expect(
      listed.json().subscribers.map((s: { name: string; source: string }) => [s.name, s.source]),
    ).toEqual([
      ['configured', 'config'],
      ['bot', 'api'],
    ]);
    expect(listed.body).not.toMatch(/whsec_|pw@|token=q|k=1/);
    // Sealed at rest: the database setting holds neither the secret nor the URL's query.
    const stored = (await hub.services.database.settings.get(SUBSCRIBERS_SETTING)) ?? '';
    expect(stored).toContain('"bot"');
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain('k=1');
    expect(hub.services.gateway.gateway.consumer('bot')).toBeDefined();

    expect(
      (await call('POST', '/v1/admin/subscribers', { name: 'bot', url: 'https://x.example.com' })).statusCode,
    ).toBe(409);
    expect(
      (
        await call('POST', '/v1/admin/subscribers', { name: 'configured', url: 'https://x.example.com' })
      ).json().error.code,
    ).toBe('WXHUB_ERR_SUBSCRIBER_EXISTS');
    expect((await call('DELETE', '/v1/admin/subscribers/configured')).json().error.code).toBe(
      'WXHUB_ERR_SUBSCRIBER_READ_ONLY',
    );
    expect((await call('DELETE', '/v1/admin/subscribers/nobody')).statusCode).toBe(404);
    expect((await call('DELETE', '/v1/admin/subscribers/bot')).statusCode).toBe(204);
    expect(hub.services.gateway.gateway.consumer('bot')).toBeUndefined();
    expect((await call('GET', '/v1/admin/subscribers')).json().subscribers).toHaveLength(1);
  });

  it('refuses a body that is no kind of subscriber, a bad secret or name, and a key without admin', async () => {
    const { hub, call } = await admin();
    for (const body of [
      { name: 'x' },
      { name: 'x', url: 'https://a.example.com', amqp: 'amqp://h', exchange: 'e' },
      { name: 'x', url: 'https://a.example.com', secret: 'not-whsec' },
      { name: 'x y', url: 'https://a.example.com' },
      { name: 'x', amqp: 'http://h', exchange: 'e' },
    ]) {
      const res = await call('POST', '/v1/admin/subscribers', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    const token = (await hub.services.keys.create({ name: 't', appids: [SHOP], scopes: ['token'] })).key;
    const res = await hub.app.inject({
      url: '/v1/admin/subscribers',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(403);
  });

  it('delivers to a runtime subscriber the events from its registration on, not the backlog', async () => {
    const { hub, call } = await admin({ config: { subscribers: [] } });
    expect((await push(hub, text('1'))).body).toBe('success');
    const res = await call('POST', '/v1/admin/subscribers', {
      name: 'late',
      url: crm.url,
      secret: crm.secret,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect((await push(hub, text('2'))).body).toBe('success');
    await until(() => crm.received.length >= 1, 5000, 'the delivery');
    await new Promise((r) => setTimeout(r, 200));
    expect(crm.events().map((e) => e.fields.MsgId)).toEqual(['2']);
  });

  it('reaches every hub of a fleet (one SQLite file) within seconds, and leaves it the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-fleet-'));
    try {
      const file = `sqlite:${join(dir, 'hub.db')}`;
      const shared = {
        store: file,
        database: file,
        oauth: { encryptionKey: Buffer.alloc(32, 3).toString('base64') },
      };
      const a = await admin({ config: { ...shared, subscribers: [] } });
      const b = await admin({ config: { ...shared, subscribers: [] } });
      expect(
        (await a.call('POST', '/v1/admin/subscribers', { name: 'fleet', url: crm.url, secret: crm.secret }))
          .statusCode,
      ).toBe(201);
      await until(
        () => b.hub.services.gateway.gateway.consumer('fleet') !== undefined,
        5000,
        'hub B to apply it',
      );
      expect((await b.call('DELETE', '/v1/admin/subscribers/fleet')).statusCode).toBe(204);
      await until(
        () => a.hub.services.gateway.gateway.consumer('fleet') === undefined,
        5000,
        'hub A to drop it',
      );
    } finally {
      for (const hub of hubs.splice(0)) await hub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('/v1/admin/dead-letters', () => {
  it('lists the letters of a subscriber that was down, and replays them once it is back', async () => {
    const { hub, call } = await admin({
      config: { subscribers: [{ name: 'crm', url: crm.url, secret: crm.secret }] },
    });
    crm.state.down = true;
    expect((await push(hub, text('31'))).body).toBe('success');
    expect((await push(hub, text('32', 'oOther'))).body).toBe('success');
    let letters: { event: { id: string; fields: { MsgId: string } }; error: string; attempts: number }[] = [];
    await until(
      async () => {
        letters = (await call('GET', '/v1/admin/dead-letters?consumer=crm')).json().dead_letters;
        return letters.length === 2;
      },
      5000,
      'two dead letters',
    );
    expect(letters[0]).toMatchObject({ attempts: 1, error: expect.stringContaining('HTTP 503') });
    expect(letters[0]?.error).not.toMatch(/whsec_/);

    expect((await call('POST', '/v1/admin/dead-letters/replay', { consumer: 'crm' })).json()).toEqual({
      replayed: 0,
      failed: 2,
    });
    crm.state.down = false;
    const only = letters[1]!.event.id;
    expect(
      (await call('POST', '/v1/admin/dead-letters/replay', { consumer: 'crm', event_ids: [only] })).json(),
    ).toEqual({
      replayed: 1,
      failed: 0,
    });
    expect(crm.events().map((e) => e.fields.MsgId)).toEqual(['32']);
    expect((await call('POST', '/v1/admin/dead-letters/replay', { consumer: 'crm' })).json()).toEqual({
      replayed: 1,
      failed: 0,
    });
    expect((await call('GET', '/v1/admin/dead-letters?consumer=crm')).json().dead_letters).toEqual([]);
    expect((await call('POST', '/v1/admin/dead-letters/replay', { consumer: 'nobody' })).statusCode).toBe(
      404,
    );
    expect((await call('GET', '/v1/admin/dead-letters?consumer=bad%20name')).statusCode).toBe(400);
  });
});
