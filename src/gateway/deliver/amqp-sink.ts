import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { PushEvent } from '../receive/push-event.js';
import type { Consumer, ConsumerFilter } from './consumer.js';
import { webhookBody } from './webhook-consumer.js';

export interface AmqpSinkConfig {
  readonly name: string;
  /** `amqp://user:password@host:5672/vhost`. */
  readonly url: string;
  /** A durable topic exchange, declared if missing. */
  readonly exchange: string;
  readonly filter: ConsumerFilter;
}

/** `APPID.MSG_TYPE[.EVENT]`: bind `wx123.event.subscribe`, `*.text` or `wx123.#`. */
export function amqpRoutingKey(event: PushEvent): string {
  const key = `${event.appid}.${event.msg_type}`;
  return event.event ? `${key}.${event.event}` : key;
}

/**
 * RabbitMQ as a consumer of the gateway, for companies that already run one: each event is
 * published persistent to a durable topic exchange on a confirm channel, and counts as delivered
 * once the broker confirms it. A lost connection fails the delivery (the workers retry it, with
 * the same `messageId`) and is opened again on the next one.
 */
export class AmqpSink implements Consumer {
  readonly name: string;
  readonly filter: ConsumerFilter;
  readonly #config: AmqpSinkConfig;
  #connecting: Promise<{ connection: ChannelModel; channel: ConfirmChannel }> | undefined;

  constructor(config: AmqpSinkConfig) {
    this.name = config.name;
    this.filter = config.filter;
    this.#config = config;
  }

  async deliver(event: PushEvent): Promise<void> {
    const { channel } = await this.#open();
    await new Promise<void>((resolve, reject) => {
      channel.publish(
        this.#config.exchange,
        amqpRoutingKey(event),
        Buffer.from(webhookBody(event)),
        {
          persistent: true,
          contentType: 'application/json',
          messageId: event.id,
          timestamp: event.create_time,
          type: event.event ? `${event.msg_type}.${event.event}` : event.msg_type,
        },
        (err) => (err ? reject(new Error(`amqp ${this.name}: broker refused the message`)) : resolve()),
      );
    });
  }

  async close(): Promise<void> {
    const open = this.#connecting;
    this.#connecting = undefined;
    if (open) await (await open.catch(() => undefined))?.connection.close().catch(() => undefined);
  }

  #open(): Promise<{ connection: ChannelModel; channel: ConfirmChannel }> {
    this.#connecting ??= this.#connect().catch((err: unknown) => {
      this.#connecting = undefined;
      // amqplib's messages can carry the URL, credentials included: name the sink instead.
      throw new Error(`amqp ${this.name}: cannot connect (${errorCode(err)})`);
    });
    return this.#connecting;
  }

  async #connect(): Promise<{ connection: ChannelModel; channel: ConfirmChannel }> {
    const connection = await amqp.connect(this.#config.url);
    const forget = () => {
      this.#connecting = undefined;
    };
    connection.on('error', forget);
    connection.on('close', forget);
    const channel = await connection.createConfirmChannel();
    channel.on('error', forget);
    channel.on('close', forget);
    await channel.assertExchange(this.#config.exchange, 'topic', { durable: true });
    return { connection, channel };
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : 'connection failed';
}
