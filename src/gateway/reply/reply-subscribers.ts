import type { CallbackConfig, SubscriberConfig } from '../../config/gateway-schema.js';
import type { Logger } from '../../util/logger.js';
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
  readonly logger: Logger;
}

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

  constructor(options: ReplySubscribersOptions) {
    this.#options = options;
  }

  /** The reply subscriber answering `appid`'s pushes now, or undefined. */
  of(appid: string): ReplySubscriber | undefined {
    const reply = this.#options.replyOf(appid);
    if (!reply) return undefined;
    const key = `${reply.subscriber}\n${reply.deadlineMs}\n${reply.lateReplyMs}`;
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

  /** Whether the subscriber `name` answers `appid`'s pushes synchronously (its queue skips them). */
  answers(name: string, appid: string): boolean {
    return this.#options.replyOf(appid)?.subscriber === name && this.of(appid) !== undefined;
  }

  /** Stops using the subscriber `name` (removed at run time); its late replies still go out. */
  async forget(name: string): Promise<void> {
    const gone = [...this.#shared].filter(([, reply]) => reply.name === name);
    for (const [key] of gone) this.#shared.delete(key);
    await Promise.all(gone.map(([, reply]) => reply.drain()));
  }

  /** Waits for the late replies still pending. */
  async drain(): Promise<void> {
    await Promise.all([...this.#shared.values()].map((reply) => reply.drain()));
  }
}
