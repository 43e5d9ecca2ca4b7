import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { AckPolicy, connect, DeliverPolicy, StringCodec } from 'nats';
import { describe, expect, it } from 'vitest';
import { AmqpSink, amqpRoutingKey } from '../../src/gateway/deliver/amqp-sink.js';
import { NatsSink, natsSubject } from '../../src/gateway/deliver/nats-sink.js';
import { serviceUrl } from '../support/services.js';
import { sampleEvent } from './event-log-contract.js';

const amqpUrl = serviceUrl('amqp');
const natsUrl = serviceUrl('nats');
const id = () => randomBytes(4).toString('hex');

describe.skipIf(!amqpUrl)('AmqpSink against RabbitMQ', () => {
  it('publishes persistent, confirmed messages to a durable topic exchange by APPID.MSG_TYPE.EVENT', async () => {
    const exchange = `wxhub-test-${id()}`;
    const sink = new AmqpSink({ name: 'mq', url: amqpUrl!, exchange, filter: {} });
    const connection = await amqp.connect(amqpUrl!);
    const channel = await connection.createChannel();
    try {
      await channel.assertExchange(exchange, 'topic', { durable: true });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, exchange, '*.event.subscribe');
      const follow = sampleEvent({ type: 'event', msg_type: 'event', event: 'subscribe' });
      expect(amqpRoutingKey(follow)).toBe(`${follow.appid}.event.subscribe`);
      await sink.deliver(sampleEvent()); // a text message: not bound, not received
      await sink.deliver(follow);
      let message: amqp.GetMessage | false = false;
      for (let i = 0; i < 50 && !message; i++) {
        message = await channel.get(queue, { noAck: true });
        if (!message) await new Promise((r) => setTimeout(r, 20));
      }
      expect(message).not.toBe(false);
      const got = message as amqp.GetMessage;
      expect(JSON.parse(got.content.toString())).toEqual(JSON.parse(JSON.stringify(follow)));
      expect(got.properties.messageId).toBe(follow.id);
      expect(got.properties.deliveryMode).toBe(2);
      expect(await channel.get(queue, { noAck: true })).toBe(false);
      await channel.checkExchange(exchange); // declared durable by the sink, still there
    } finally {
      await channel.deleteExchange(exchange).catch(() => undefined);
      await connection.close();
      await sink.close();
    }
  });

  it('fails a delivery, naming no credentials, when the broker cannot be reached', async () => {
    const sink = new AmqpSink({
      name: 'mq',
      url: 'amqp://guest:topsecret@127.0.0.1:1',
      exchange: 'x',
      filter: {},
    });
    const err = await sink.deliver(sampleEvent()).catch((e: Error) => e);
    expect(String(err)).toMatch(/amqp mq: cannot connect/);
    expect(String(err)).not.toContain('topsecret');
    await sink.close();
  });
});

describe.skipIf(!natsUrl)('NatsSink against NATS JetStream', () => {
  it('publishes to SUBJECT.APPID.MSG_TYPE with Nats-Msg-Id, deduplicated by the stream', async () => {
    const subject = `wxhubtest${id()}`;
    const name = `sink${id()}`;
    const sink = new NatsSink({ name, url: natsUrl!, subject, filter: {} });
    const nc = await connect({ servers: new URL(natsUrl!).host });
    const jsm = await nc.jetstreamManager();
    try {
      const event = sampleEvent();
      await sink.deliver(event);
      await sink.deliver(event); // a redelivery after a lost ack: the stream keeps one
      const stream = await jsm.streams.find(`${subject}.>`);
      const info = await jsm.streams.info(stream);
      expect(info.state.messages).toBe(1);
      const consumer = await jsm.consumers.add(stream, {
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
      });
      const message = await nc
        .jetstream()
        .consumers.get(stream, consumer.name)
        .then((c) => c.next({ expires: 2000 }));
      expect(message?.subject).toBe(natsSubject(subject, event));
      expect(message?.headers?.get('Nats-Msg-Id')).toBe(event.id);
      expect(JSON.parse(StringCodec().decode(message!.data))).toEqual(JSON.parse(JSON.stringify(event)));
      await jsm.streams.delete(stream);
    } finally {
      await nc.drain();
      await sink.close();
    }
  });

  it('fails a delivery when NATS cannot be reached', async () => {
    const sink = new NatsSink({ name: 'n', url: 'nats://127.0.0.1:1', subject: 'x', filter: {} });
    await expect(sink.deliver(sampleEvent())).rejects.toThrow(/nats n: cannot connect/);
    await sink.close();
  });
});
