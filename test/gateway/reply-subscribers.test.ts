import { describe, expect, it } from 'vitest';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';
import type { ReplySubscriber } from '../../src/gateway/reply/reply-subscriber.js';
import {
  type CallbackReply,
  REPLY_SETTLE_MS,
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
  const clock = { now: 1_767_222_000_000 };
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
    now: () => clock.now,
    logger: logs.logger,
  });
  const webhook = (name: string): WebhookSubscriberConfig => ({
    name,
    url: `http://127.0.0.1:9/${name}`,
    secret: 'whsec_x',
    filter: {},
  });
  /** A push of `appid` WeChat sent `ago` ms before the hub's now. */
  const push = (appid: string, ago = 0) =>
    ({ appid, create_time: Math.floor((clock.now - ago) / 1000) }) as PushEvent;
  return { replies, webhooks, created, logs, subscribers, webhook, clock, push };
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
    w.replies.delete('wxa');
    expect(w.subscribers.of('wxa')).toBeUndefined();
  });

  it("skips a push in the subscriber's queue only when it answered the account well before WeChat sent it", () => {
    const w = world();
    w.webhooks.set('bot', w.webhook('bot'));
    // Pushed while no reply was set, still queued when one is: the queue delivers it (not lost).
    const before = w.push('wxa');
    expect(w.subscribers.of('wxa')).toBeUndefined();
    w.clock.now += 1000;
    w.replies.set('wxa', reply('bot'));
    expect(w.subscribers.answered('bot', before)).toBe(false);
    // Right after the change another hub may not have it yet: the queue delivers too.
    w.clock.now += REPLY_SETTLE_MS - 1000;
    expect(w.subscribers.answered('bot', w.push('wxa'))).toBe(false);
    w.clock.now += 1000;
    expect(w.subscribers.answered('bot', w.push('wxa'))).toBe(true);
    expect(w.subscribers.answered('crm', w.push('wxa'))).toBe(false);
    // An account first seen with its reply (at start, say): taken as set long ago.
    w.replies.set('wxb', reply('bot'));
    expect(w.subscribers.answered('bot', w.push('wxb'))).toBe(true);
    // Unset: every push goes through the queue again, those answered before too (same id).
    w.replies.delete('wxa');
    expect(w.subscribers.answered('bot', w.push('wxa', 60_000))).toBe(false);
  });

  it('leaves an account whose reply names no webhook subscriber to the queues, logging it once', () => {
    const w = world();
    w.replies.set('wxa', reply('gone'));
    expect(w.subscribers.of('wxa')).toBeUndefined();
    expect(w.subscribers.of('wxa')).toBeUndefined();
    expect(w.subscribers.answered('gone', w.push('wxa', -REPLY_SETTLE_MS))).toBe(false);
    expect(w.logs.lines.filter((l) => /not a webhook subscriber/.test(l))).toHaveLength(1);
    // Added later (a runtime subscriber): taken from the next push on.
    w.webhooks.set('gone', w.webhook('gone'));
    expect(w.subscribers.of('wxa')?.name).toBe('gone');
  });

  it('forgets a removed subscriber at once, and drains its late replies with the others on close', async () => {
    const w = world();
    w.webhooks.set('bot', w.webhook('bot'));
    w.webhooks.set('crm', w.webhook('crm'));
    w.replies.set('wxa', reply('bot'));
    w.replies.set('wxb', reply('crm'));
    const first = w.subscribers.of('wxa');
    w.subscribers.of('wxb');
    w.subscribers.forget('bot');
    expect(w.created.map((c) => c.drained)).toEqual([0, 0]);
    w.webhooks.delete('bot');
    expect(w.subscribers.of('wxa')).toBeUndefined();
    w.webhooks.set('bot', w.webhook('bot'));
    expect(w.subscribers.of('wxa')).not.toBe(first);
    await w.subscribers.drain();
    expect(w.created.map((c) => c.drained)).toEqual([1, 1, 1]);
  });
});
