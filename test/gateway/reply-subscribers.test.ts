import { describe, expect, it } from 'vitest';
import type { ReplySubscriber } from '../../src/gateway/reply/reply-subscriber.js';
import {
  type CallbackReply,
  ReplySubscribers,
  type WebhookSubscriberConfig,
} from '../../src/gateway/reply/reply-subscribers.js';
import { captureLogs } from '../support/log-capture.js';

/** Accounts' replies and webhook subscribers that a test changes as a hub's registry would. */
function world() {
  const replies = new Map<string, CallbackReply>();
  const webhooks = new Map<string, WebhookSubscriberConfig>();
  const created: { name: string; drained: number }[] = [];
  const logs = captureLogs('warn');
  const subscribers = new ReplySubscribers({
    replyOf: (appid) => replies.get(appid),
    webhookOf: (name) => webhooks.get(name),
    create: (webhook) => {
      const made = { name: webhook.name, drained: 0 };
      created.push(made);
      return {
        name: webhook.name,
        drain: async () => {
          made.drained++;
        },
      } as unknown as ReplySubscriber;
    },
    logger: logs.logger,
  });
  const webhook = (name: string): WebhookSubscriberConfig => ({
    name,
    url: `http://127.0.0.1:9/${name}`,
    secret: 'whsec_x',
    filter: {},
  });
  return { replies, webhooks, created, logs, subscribers, webhook };
}

const reply = (subscriber: string, deadlineMs = 4000): CallbackReply => ({
  subscriber,
  deadlineMs,
  lateReplyMs: 60_000,
});

describe('ReplySubscribers', () => {
  it('finds the reply subscriber of an account as it is now, one per subscriber and deadlines', () => {
    const w = world();
    w.webhooks.set('bot', w.webhook('bot'));
    expect(w.subscribers.of('wxa')).toBeUndefined();
    w.replies.set('wxa', reply('bot'));
    w.replies.set('wxb', reply('bot'));
    w.replies.set('wxc', reply('bot', 2000));
    const a = w.subscribers.of('wxa');
    expect(a?.name).toBe('bot');
    expect(w.subscribers.of('wxb')).toBe(a);
    expect(w.subscribers.of('wxc')).not.toBe(a);
    expect(w.created).toHaveLength(2);
    expect(w.subscribers.answers('bot', 'wxa')).toBe(true);
    expect(w.subscribers.answers('crm', 'wxa')).toBe(false);
    w.replies.delete('wxa');
    expect(w.subscribers.of('wxa')).toBeUndefined();
    expect(w.subscribers.answers('bot', 'wxa')).toBe(false);
  });

  it('leaves an account whose reply names no webhook subscriber to the queues, logging it once', () => {
    const w = world();
    w.replies.set('wxa', reply('gone'));
    expect(w.subscribers.of('wxa')).toBeUndefined();
    expect(w.subscribers.of('wxa')).toBeUndefined();
    expect(w.subscribers.answers('gone', 'wxa')).toBe(false);
    expect(w.logs.lines.filter((l) => /not a webhook subscriber/.test(l))).toHaveLength(1);
    // Added later (a runtime subscriber): taken from the next push on.
    w.webhooks.set('gone', w.webhook('gone'));
    expect(w.subscribers.of('wxa')?.name).toBe('gone');
  });

  it('forgets a removed subscriber (draining its late replies) and drains every one on close', async () => {
    const w = world();
    w.webhooks.set('bot', w.webhook('bot'));
    w.webhooks.set('crm', w.webhook('crm'));
    w.replies.set('wxa', reply('bot'));
    w.replies.set('wxb', reply('crm'));
    const first = w.subscribers.of('wxa');
    w.subscribers.of('wxb');
    await w.subscribers.forget('bot');
    expect(w.created.map((c) => [c.name, c.drained])).toEqual([
      ['bot', 1],
      ['crm', 0],
    ]);
    w.webhooks.delete('bot');
    expect(w.subscribers.of('wxa')).toBeUndefined();
    w.webhooks.set('bot', w.webhook('bot'));
    expect(w.subscribers.of('wxa')).not.toBe(first);
    await w.subscribers.drain();
    expect(w.created.map((c) => c.drained)).toEqual([1, 1, 1]);
  });
});
