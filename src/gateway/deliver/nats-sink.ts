import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import type { PushEvent } from '../receive/push-event.js';
import type { Consumer, ConsumerFilter } from './consumer.js';
import { webhookBody } from './webhook-consumer.js';

export interface NatsSinkConfig {
  readonly name: string;
  /** `nats://host:4222` (credentials in the URL are used and never logged). */
  readonly url: string;
  /** Events go to `SUBJECT.APPID.MSG_TYPE`. */
  readonly subject: string;
  readonly filter: ConsumerFilter;
}

/** `SUBJECT.APPID.MSG_TYPE`, as DESIGN.md names it. */
export function natsSubject(prefix: string, event: PushEvent): string {
  return `${prefix}.${event.appid}.${event.msg_type}`;
}

/** A stream name NATS accepts, derived from the sink's name. */
function streamName(name: string): string {
  return `WXHUB_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * NATS JetStream as a consumer of the gateway: each event is published to
 * `SUBJECT.APPID.MSG_TYPE` with `Nats-Msg-Id` = the event id, so the stream drops a redelivery
 * within its duplicate window, and counts as delivered once JetStream acknowledges it. A stream
 * covering `SUBJECT.>` is created (`WXHUB_<name>`) when none exists.
 */
export class NatsSink implements Consumer {
  readonly name: string;
  readonly filter: ConsumerFilter;
  readonly #config: NatsSinkConfig;
  #connecting: Promise<{ connection: NatsConnection; js: JetStreamClient }> | undefined;

  constructor(config: NatsSinkConfig) {
    this.name = config.name;
    this.filter = config.filter;
    this.#config = config;
  }

  async deliver(event: PushEvent): Promise<void> {
    const { js } = await this.#open();
    try {
      await js.publish(natsSubject(this.#config.subject, event), webhookBody(event), {
        msgID: event.id,
        timeout: 10_000,
      });
    } catch (err) {
      throw new Error(`nats ${this.name}: JetStream did not acknowledge (${codeOf(err)})`);
    }
  }

  async close(): Promise<void> {
    const open = this.#connecting;
    this.#connecting = undefined;
    if (open) await (await open.catch(() => undefined))?.connection.drain().catch(() => undefined);
  }

  #open(): Promise<{ connection: NatsConnection; js: JetStreamClient }> {
    this.#connecting ??= this.#connect().catch((err: unknown) => {
      this.#connecting = undefined;
      throw new Error(`nats ${this.name}: cannot connect (${codeOf(err)})`);
    });
    return this.#connecting;
  }

  async #connect(): Promise<{ connection: NatsConnection; js: JetStreamClient }> {
    const url = new URL(this.#config.url);
    const connection = await connect({
      servers: `${url.hostname}:${url.port || 4222}`,
      ...(url.username
        ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
        : {}),
      name: `wxhub-${this.name}`,
      maxReconnectAttempts: -1,
    });
    void connection.closed().then(() => {
      this.#connecting = undefined;
    });
    const manager = await connection.jetstreamManager();
    const subjects = `${this.#config.subject}.>`;
    const found = await manager.streams.find(subjects).catch(() => undefined);
    if (!found) await manager.streams.add({ name: streamName(this.name), subjects: [subjects] });
    return { connection, js: connection.jetstream() };
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : 'failed';
}
