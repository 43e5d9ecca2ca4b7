import type { Dispatcher } from 'undici';
import type { CallbackConfig, GatewayConfig, SubscriberConfig } from '../config/gateway-schema.js';
import { WxhubError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { AmqpSink } from './deliver/amqp-sink.js';
import type { Consumer, ConsumerFilter } from './deliver/consumer.js';
import {
  type DeliveryOutcome,
  DeliveryWorkers,
  type DeliveryWorkersOptions,
} from './deliver/delivery-workers.js';
import { NatsSink } from './deliver/nats-sink.js';
import { type ReplayOptions, type ReplayResult, replayDeadLetters } from './deliver/replay.js';
import { WebhookConsumer } from './deliver/webhook-consumer.js';
import type { EventLog } from './log/event-log.js';
import { CallbackCodec } from './receive/callback-codec.js';
import type { CallbackRoutesOptions } from './receive/callback-routes.js';
import type { PushEvent } from './receive/push-event.js';
import { PushReceiver } from './receive/push-receiver.js';
import { ReplySubscriber } from './reply/reply-subscriber.js';
import {
  type CallbackReply,
  ReplySubscribers,
  type WebhookSubscriberConfig,
} from './reply/reply-subscribers.js';

export interface GatewayOptions {
  /** The hub's accounts; those with a `callback` block get a push URL. */
  readonly accounts: readonly { readonly appid: string; readonly callback?: CallbackConfig }[];
  readonly subscribers: readonly SubscriberConfig[];
  /**
   * The codec of an account, looked up on every push (the hub asks its account registry, so
   * accounts added at run time receive pushes). Default: those of `accounts`, built once.
   */
  readonly codec?: (appid: string) => CallbackCodec | undefined;
  /**
   * The reply settings of an account (`callback.reply`), looked up on every push like the codec.
   * Default: those of `accounts`.
   */
  readonly reply?: (appid: string) => CallbackReply | undefined;
  readonly settings: GatewayConfig;
  /** Leases for the delivery workers: the hub's store, shared by the fleet. */
  readonly store: Store;
  readonly log: EventLog;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** `message/custom/send` through the token engine, for late replies. */
  readonly sendCustomMessage: (appid: string, body: Record<string, unknown>) => Promise<void>;
  /** Told of every new event once it is logged (follower state, the login's QR scenes). */
  readonly onEvent?: (event: PushEvent) => void;
  readonly onDelivery?: (outcome: DeliveryOutcome) => void;
  /** For tests: where webhooks go instead of a pool of the gateway's own. */
  readonly dispatcher?: Dispatcher;
  /** Delivery tuning: the retry strategy (backoff, then dead letter) and the poll interval. */
  readonly delivery?: Pick<DeliveryWorkersOptions, 'retryStrategy' | 'pollMs'>;
}

/**
 * The callback gateway of one hub, assembled from the configuration: a codec per account, the
 * receiver in front of the event log, the consumers with their delivery workers, and the reply
 * subscribers. `routes` is what `/callback/:appid` needs; `start` and `close` run the workers.
 */
export class Gateway {
  readonly receiver: PushReceiver;
  readonly workers: DeliveryWorkers;
  readonly log: EventLog;
  /** Ordered partitions events are split into by openid. */
  readonly partitions: number;
  readonly #replies: ReplySubscribers;
  /** Webhook subscribers added at run time, which a runtime account's reply may name. */
  readonly #runtimeWebhooks = new Map<string, WebhookSubscriberConfig>();
  readonly #options: GatewayOptions;
  /** Names of the configured subscribers: fixed for the gateway's life. */
  readonly configured: ReadonlySet<string>;

  constructor(options: GatewayOptions) {
    const logger = options.logger ?? silentLogger;
    const codecs = new Map<string, CallbackCodec>();
    for (const { appid, callback } of options.accounts) {
      if (callback) codecs.set(appid, new CallbackCodec(appid, callback, options.settings.maxSkewSeconds));
    }
    const byName = new Map(options.subscribers.map((s) => [s.name, s]));
    if (byName.size !== options.subscribers.length) {
      throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', 'subscribers: every name must be unique');
    }
    checkConfiguredReplies(options.accounts, byName);
    const configured = new Map(options.accounts.map((a) => [a.appid, a.callback?.reply]));
    const replies = new ReplySubscribers({
      replyOf: options.reply ?? ((appid) => configured.get(appid)),
      webhookOf: (name) => {
        const config = byName.get(name);
        return config && 'url' in config ? config : this.#runtimeWebhooks.get(name);
      },
      create: (webhook, reply) => replySubscriber(webhook, reply, options, logger),
      now: () => options.clock.now(),
      logger,
    });
    this.#replies = replies;
    this.#options = options;
    const consumers = options.subscribers.map((s) => consumerFor(s, options, replies));
    this.configured = new Set(byName.keys());
    this.log = options.log;
    this.partitions = options.settings.partitions;
    this.workers = new DeliveryWorkers({
      log: options.log,
      store: options.store,
      consumers,
      partitions: options.settings.partitions,
      leaseTtlMs: options.settings.leaseTtlMs,
      clock: options.clock,
      logger,
      ...options.delivery,
      ...(options.onDelivery ? { onOutcome: options.onDelivery } : {}),
    });
    this.receiver = new PushReceiver({
      codec: options.codec ?? ((appid) => codecs.get(appid)),
      log: options.log,
      partitions: options.settings.partitions,
      clock: options.clock,
      logger,
      onLogged: (event, partition) => {
        this.workers.wake(partition);
        options.onEvent?.(event);
      },
      answer: async (event) => (await replies.of(event.appid)?.answer(event)) ?? null,
    });
  }

  /** The options of the `/callback/:appid` routes. */
  routes(extra: Omit<CallbackRoutesOptions, 'receiver'> = {}): CallbackRoutesOptions {
    return { receiver: this.receiver, ...extra };
  }

  /** Every consumer delivered to: the configured subscribers, then those added at runtime. */
  get consumers(): Consumer[] {
    return this.workers.consumers;
  }

  consumer(name: string): Consumer | undefined {
    return this.workers.consumers.find((c) => c.name === name);
  }

  /** Starts delivering to a subscriber registered at runtime (every hub of the fleet does), from its stored positions. */
  async addSubscriber(config: SubscriberConfig): Promise<void> {
    if (this.configured.has(config.name) || this.consumer(config.name)) {
      throw new WxhubError('WXHUB_ERR_SUBSCRIBER_EXISTS', config.name);
    }
    this.workers.add(consumerFor(config, this.#options, this.#replies));
    if ('url' in config) this.#runtimeWebhooks.set(config.name, config);
  }

  /**
   * Moves the positions of the consumer named `name` to the newest event of each partition, so
   * a subscriber registered at runtime gets the events logged from now on rather than the
   * retained backlog (and a name used before starts over). Called once, by the hub that
   * registers it, before any hub delivers to it.
   */
  async startFromNow(name: string): Promise<void> {
    await Promise.all(
      Array.from({ length: this.#options.settings.partitions }, (_, partition) =>
        this.#startFromNow(name, partition),
      ),
    );
  }

  /** Stops delivering to a runtime subscriber (deliveries in flight finish) and closes it. */
  async removeSubscriber(name: string): Promise<boolean> {
    if (this.configured.has(name)) throw new WxhubError('WXHUB_ERR_SUBSCRIBER_READ_ONLY', name);
    const consumer = await this.workers.remove(name);
    this.#runtimeWebhooks.delete(name);
    this.#replies.forget(name);
    await consumer?.close?.();
    return consumer !== undefined;
  }

  /** Delivers the named consumer's dead letters again (src/gateway/deliver/replay.ts). */
  replay(name: string, options: ReplayOptions = {}): Promise<ReplayResult> {
    const consumer = this.consumer(name);
    if (!consumer) throw new WxhubError('WXHUB_ERR_UNKNOWN_SUBSCRIBER', name);
    return replayDeadLetters(this.log, consumer, options);
  }

  async #startFromNow(name: string, partition: number): Promise<void> {
    for (let tries = 0; tries < 5; tries++) {
      const position = await this.log.getPosition(name, partition);
      const cursor = await this.log.latestCursor(partition);
      const next = { cursor, attempts: 0, notBefore: 0, lastError: null };
      if (await this.log.setPosition(name, partition, position.version, next)) return;
    }
    throw new WxhubError(
      'WXHUB_ERR_STORE_UNAVAILABLE',
      `could not set the start of ${name} in partition ${partition}`,
    );
  }

  start(): Promise<void> {
    return this.workers.start();
  }

  /** Stops delivering (in-flight deliveries finish), waits for late replies, closes sinks. */
  async close(): Promise<void> {
    await this.workers.stop();
    await this.#replies.drain();
    await Promise.all(this.consumers.map((c) => c.close?.()));
  }
}

function consumerFor(config: SubscriberConfig, options: GatewayOptions, replies: ReplySubscribers): Consumer {
  const filter: ConsumerFilter = {
    ...config.filter,
    ...(config.appids ? { appids: config.appids } : {}),
    // A reply subscriber takes its accounts' pushes synchronously, so its queue leaves them out.
    answeredElsewhere: (event) => replies.answered(config.name, event),
  };
  if ('url' in config) return new WebhookConsumer({ ...config, filter }, options.clock, options.dispatcher);
  if ('amqp' in config)
    return new AmqpSink({ name: config.name, url: config.amqp, exchange: config.exchange, filter });
  return new NatsSink({ name: config.name, url: config.nats, subject: config.subject, filter });
}

/** A config-file account's reply must name a webhook subscriber of the file: refused at start otherwise. */
function checkConfiguredReplies(
  accounts: GatewayOptions['accounts'],
  byName: ReadonlyMap<string, SubscriberConfig>,
): void {
  for (const { appid, callback } of accounts) {
    const name = callback?.reply?.subscriber;
    const config = name === undefined ? undefined : byName.get(name);
    if (name !== undefined && !(config && 'url' in config)) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_CONFIG',
        `accounts[${appid}].callback.reply.subscriber: no webhook subscriber named ${name}`,
      );
    }
  }
}

/** The synchronous side of a webhook subscriber, for the accounts whose reply names it. */
function replySubscriber(
  webhook: WebhookSubscriberConfig,
  reply: CallbackReply,
  options: GatewayOptions,
  logger: Logger,
): ReplySubscriber {
  return new ReplySubscriber({
    webhook: new WebhookConsumer({ ...webhook, filter: {} }, options.clock, options.dispatcher),
    deadlineMs: reply.deadlineMs,
    lateReplyMs: reply.lateReplyMs,
    sendCustomMessage: options.sendCustomMessage,
    onFailure: (event, error) =>
      options.log.addDeadLetter({
        consumer: webhook.name,
        event,
        error,
        attempts: 1,
        at: options.clock.now(),
      }),
    clock: options.clock,
    logger,
  });
}
