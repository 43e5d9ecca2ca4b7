import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { AckPolicy, connect, DeliverPolicy, StringCodec } from 'nats';
import { describe, expect, it } from 'vitest';
import { serviceUrl } from '../../support/services.js';
import { startGatewayHub } from './gateway-hub.js';

const amqpUrl = serviceUrl('amqp');
const natsUrl = serviceUrl('nats');
const id = () => randomBytes(4).toString('hex');

describe.skipIf(!amqpUrl)('a RabbitMQ sink through the hub', () => {
  it('publishes each push the simulator makes, routed APPID.MSG_TYPE[.EVENT], as the webhook JSON', async () => {
    const exchange = `wxhub-hub-${id()}`;
    const connection = await amqp.connect(amqpUrl!);
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, '#');
    const gw = await startGatewayHub({
      mode: 'safe',
      config: () => ({ subscribers: [{ name: 'mq', amqp: amqpUrl!, exchange }] }),
    });
    try {
      const text = await gw.message({ msgType: 'text', content: 'to the broker' });
      await gw.event({ event: 'CLICK', eventKey: 'K' });
      const got: amqp.GetMessage[] = [];
      for (let i = 0; i < 250 && got.length < 2; i++) {
        const message = await channel.get(queue, { noAck: true });
        if (message) got.push(message);
        else await new Promise((r) => setTimeout(r, 20));
      }
      expect(got.map((m) => m.fields.routingKey)).toEqual([`${gw.appid}.text`, `${gw.appid}.event.CLICK`]);
      const first = JSON.parse(got[0]!.content.toString());
      expect(first).toMatchObject({
        appid: gw.appid,
        msg_type: 'text',
        fields: { MsgId: text.msgId, Content: 'to the broker' },
      });
      expect(got[0]!.properties.messageId).toBe(first.id);
      expect(got[0]!.properties.deliveryMode).toBe(2);
    } finally {
      await gw.close();
      await channel.deleteExchange(exchange).catch(() => undefined);
      await connection.close();
    }
  });
});

describe.skipIf(!natsUrl)('a NATS JetStream sink through the hub', () => {
  it('publishes each push to SUBJECT.APPID.MSG_TYPE with Nats-Msg-Id = the event id', async () => {
    const subject = `wxhubhub${id()}`;
    const gw = await startGatewayHub({
      mode: 'plain',
      config: () => ({ subscribers: [{ name: 'js', nats: natsUrl!, subject }] }),
    });
    const nc = await connect({ servers: new URL(natsUrl!).host });
    const jsm = await nc.jetstreamManager();
    try {
      const text = await gw.message({ msgType: 'text', content: 'to nats' });
      let stream = '';
      for (let i = 0; i < 250 && !stream; i++) {
        stream = await jsm.streams.find(`${subject}.>`).catch(() => '');
        if (!stream) await new Promise((r) => setTimeout(r, 20));
      }
      const consumer = await jsm.consumers.add(stream, {
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
      });
      const message = await nc
        .jetstream()
        .consumers.get(stream, consumer.name)
        .then((c) => c.next({ expires: 5000 }));
      expect(message?.subject).toBe(`${subject}.${gw.appid}.text`);
      const body = JSON.parse(StringCodec().decode(message!.data));
      expect(body).toMatchObject({ appid: gw.appid, fields: { MsgId: text.msgId, Content: 'to nats' } });
      expect(message?.headers?.get('Nats-Msg-Id')).toBe(body.id);
      await jsm.streams.delete(stream);
    } finally {
      await nc.drain();
      await gw.close();
    }
  });
});
