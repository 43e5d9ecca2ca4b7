import type { CallbackConfig, SubscriberConfig } from '../../config/gateway-schema.js';
import type { Logger } from '../../util/logger.js';
import type { PushEvent } from '../receive/push-event.js';
import type { ReplySubscriber } from './reply-subscriber.js';

/** An account's `callback.reply`: which webhook subscriber answers its pushes, and its deadlines. */
export type CallbackReply = NonNullable<CallbackConfig['reply']>;

/** A webhook subscriber's configuration (a reply subscriber must be one). */
export type WebhookSubscriberConfig = Extract<SubscriberConfig, { url: string }>;

export interface ReplySubscribersOptions {
  /** The account's reply settings now (config-file and runtime accounts alike), or undefined. */
  readonly replyOf: (appid: string) => CallbackReply | undefined;
  /** The webhook subscriber of that name now (config-file or runtime), or undefined. */
  readonly webhookOf: (name: string) => WebhookSubscriberConfig | undefined;
  readonly create: (webhook: WebhookSubscriberConfig, reply: CallbackReply) => ReplySubscriber;
  /** Epoch ms (the hub's clock). */
  readonly now: () => number;
  readonly logger: Logger;
}

/**
 * How long after this hub sees an account's reply setting change its pushes still go through the
 * queues as well: the hub that received them may not have had the change yet (every hub applies
 * one within 5 s), so a push it did not answer synchronously is not skipped.
 */
export const REPLY_SETTLE_MS = 10_000;

/**
 * Which reply subscriber answers an account's pushes, asked on every push and by the delivery
 * workers (whose queue for that subscriber skips what it answered synchronously): accounts and
 * subscribers added at run time take part without a restart. One ReplySubscriber per subscriber
 * and deadlines, shared by the accounts that name them. An account whose reply names no webhook
 * subscriber has its pushes delivered by the queues alone, and the mistake logged once.
 */
export class ReplySubscribers {
  readonly #options: ReplySubscribersOptions;
  readonly #shared = new Map<string, ReplySubscriber>();
  readonly #warned = new Set<string>();
  readonly #retired = new Set<ReplySubscriber>();
  /** Per appid, the reply setting this hub last saw and since when (epoch ms). */
  readonly #seen = new Map<string, { key: string; since: number }>();

  constructor(options: ReplySubscribersOptions) {
    this.#options = options;
  }

  /** The reply subscriber answering `appid`'s pushes now, or undefined. */
  of(appid: string): ReplySubscriber | undefined {
    const reply = this.#options.replyOf(appid);
    const key = reply ? `${reply.subscriber}\n${reply.deadlineMs}\n${reply.lateReplyMs}` : '';
    const seen = this.#seen.get(appid);
    // A setting found as it is (at start, or an account's first push here) is taken as old; one
    // seen to change dates from now.
    if (!seen) this.#seen.set(appid, { key, since: Number.NEGATIVE_INFINITY });
    else if (seen.key !== key) this.#seen.set(appid, { key, since: this.#options.now() });
    if (!reply) return undefined;
    const shared = this.#shared.get(key);
    if (shared) return shared;
    const webhook = this.#options.webhookOf(reply.subscriber);
    if (!webhook) {
      if (!this.#warned.has(`${appid}\n${key}`)) {
        this.#warned.add(`${appid}\n${key}`);
        this.#options.logger.warn(
          { appid, subscriber: reply.subscriber },
          'reply subscriber is not a webhook subscriber: pushes go to the queues only',
        );
      }
      return undefined;
    }
    const created = this.#options.create(webhook, reply);
    this.#shared.set(key, created);
    return created;
  }

  /**
   * Whether the subscriber `name` was given `event` synchronously, so its queue skips it: it
   * answers the event's account now, and has since well before WeChat sent the event. Around a
   * change the queue delivers too (at least once; a repeat has the same webhook-id).
   */
  answered(name: string, event: PushEvent): boolean {
    if (this.of(event.appid)?.name !== name) return false;
    const since = this.#seen.get(event.appid)?.since ?? 0;
    return event.create_time * 1000 >= since + REPLY_SETTLE_MS;
  }

  /** Stops using the subscriber `name` (removed at run time); its late replies still go out (`drain` waits). */
  forget(name: string): void {
    for (const [key, reply] of this.#shared) {
      if (reply.name !== name) continue;
      this.#shared.delete(key);
      this.#retired.add(reply);
    }
  }

  /** Waits for the late replies still pending, of the subscribers in use and those forgotten. */
  async drain(): Promise<void> {
    await Promise.all([...this.#shared.values(), ...this.#retired].map((reply) => reply.drain()));
  }
}
