import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryDatabase } from '../../src/db/index.js';
import { newWebhookSecret } from '../../src/gateway/deliver/webhook-signature.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';
import {
  RuntimeSubscribers,
  SUBSCRIBERS_SETTING,
  subscriberView,
} from '../../src/gateway/subscribers/runtime-subscribers.js';
import { PushListeners } from '../../src/hub/gateway/push-listeners.js';
import { TokenCipher } from '../../src/oauth/token-cipher.js';
import { systemClock } from '../../src/util/clock.js';
import { sampleEvent } from './event-log-contract.js';

const cipher = () => new TokenCipher(randomBytes(32));
const webhook = (name: string) => ({
  name,
  url: 'https://u:pw@crm.example.com/hook?t=1',
  secret: newWebhookSecret(),
  filter: {},
});

describe('RuntimeSubscribers', () => {
  it('keeps configurations sealed: the view in clear, the secret and URL credentials only inside', async () => {
    const database = new MemoryDatabase();
    const key = cipher();
    const stored = new RuntimeSubscribers(database.settings, key, systemClock);
    const config = webhook('crm');
    const row = await stored.add(config);
    expect(row).toMatchObject({ name: 'crm', kind: 'webhook', target: 'https://crm.example.com/hook' });
    const raw = (await database.settings.get(SUBSCRIBERS_SETTING)) ?? '';
    expect(raw).not.toContain(config.secret);
    expect(raw).not.toContain('pw@');
    expect(stored.open((await stored.list())[0]!)).toEqual(config);
    // Another key (another fleet's, or a changed oauth.encryptionKey) cannot open it.
    const other = new RuntimeSubscribers(database.settings, cipher(), systemClock);
    expect(other.open((await other.list())[0]!)).toBeNull();
    await expect(stored.add(webhook('crm'))).rejects.toMatchObject({ code: 'WXHUB_ERR_SUBSCRIBER_EXISTS' });
    expect(await stored.remove('crm')).toBe(true);
    expect(await stored.remove('crm')).toBe(false);
    expect(await stored.list()).toEqual([]);
  });

  it('lands concurrent additions from several hubs (compare-and-set)', async () => {
    const database = new MemoryDatabase();
    const key = cipher();
    const hubs = Array.from({ length: 5 }, () => new RuntimeSubscribers(database.settings, key, systemClock));
    await Promise.all(hubs.map((hub, i) => hub.add(webhook(`s${i}`))));
    expect((await hubs[0]!.list()).map((s) => s.name).sort()).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });

  it('shows brokers without their credentials', () => {
    expect(
      subscriberView({ name: 'mq', amqp: 'amqp://guest:secret@rabbit:5672/vh', exchange: 'wx', filter: {} })
        .target,
    ).toBe('amqp://rabbit:5672/vh exchange wx');
    expect(
      subscriberView({ name: 'n', nats: 'nats://tok@nats:4222', subject: 'wx', filter: {} }).target,
    ).toBe('nats://nats:4222 subject wx');
  });
});

describe('PushListeners', () => {
  it('tells every listener, survives throwing and rejecting ones, and unsubscribes', async () => {
    const warnings: string[] = [];
    const listeners = new PushListeners({
      debug: () => undefined,
      info: () => undefined,
      warn: (_o, msg) => warnings.push(String(msg)),
      error: () => undefined,
    });
    const seen: PushEvent[] = [];
    listeners.on(() => {
      throw new Error('sync');
    });
    listeners.on(() => Promise.reject(new Error('async')));
    const off = listeners.on((e) => {
      seen.push(e);
    });
    const event = sampleEvent();
    expect(() => listeners.emit(event)).not.toThrow();
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual([event]);
    expect(warnings).toEqual(['a push listener failed', 'a push listener failed']);
    off();
    listeners.emit(sampleEvent());
    expect(seen).toHaveLength(1);
    expect(listeners.size).toBe(2);
  });
});
