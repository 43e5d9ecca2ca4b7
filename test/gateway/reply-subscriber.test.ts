import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeChatError } from '../../src/errors/index.js';
import { WebhookConsumer } from '../../src/gateway/deliver/webhook-consumer.js';
import { newWebhookSecret } from '../../src/gateway/deliver/webhook-signature.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';
import { ReplySubscriber } from '../../src/gateway/reply/reply-subscriber.js';
import { parsePushXml } from '../../src/gateway/xml/push-xml.js';
import { systemClock } from '../../src/util/clock.js';
import { sampleEvent } from './event-log-contract.js';

/** A bot: the event's Content says how long to think, in ms, and what to answer. */
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const event = JSON.parse(body) as PushEvent;
      const [delay, kind] = String(event.fields.Content).split(':');
      setTimeout(() => {
        if (kind === 'error') return res.writeHead(500).end();
        if (kind === 'none') return res.writeHead(200).end();
        if (kind === 'junk') return res.writeHead(200).end('{"reply":{"msgtype":"text"}}');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ reply: { msgtype: 'text', content: `answer to ${event.openid}` } }));
      }, Number(delay));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bot`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

function bot(sendError?: Error) {
  const sent: { appid: string; body: Record<string, unknown> }[] = [];
  const failures: { id: string; error: string }[] = [];
  const webhook = new WebhookConsumer(
    { name: 'bot', url, secret: newWebhookSecret(), filter: {} },
    systemClock,
  );
  const subscriber = new ReplySubscriber({
    webhook,
    deadlineMs: 300,
    lateReplyMs: 3000,
    clock: systemClock,
    sendCustomMessage: async (appid, body) => {
      if (sendError) throw sendError;
      sent.push({ appid, body });
    },
    onFailure: async (event, error) => {
      failures.push({ id: event.id, error });
    },
  });
  return { subscriber, sent, failures, close: () => webhook.close() };
}

const push = (content: string) =>
  sampleEvent({ openid: 'oBot', fields: { ToUserName: 'gh_acc', Content: content, MsgId: '1' } });

describe('ReplySubscriber', () => {
  it('turns a reply within the deadline into the passive reply XML', async () => {
    const { subscriber, sent, close } = bot();
    const xml = await subscriber.answer(push('10:text'));
    expect(parsePushXml(xml!)).toMatchObject({
      ToUserName: 'oBot',
      FromUserName: 'gh_acc',
      MsgType: 'text',
      Content: 'answer to oBot',
    });
    expect(sent).toEqual([]);
    await close();
  });

  it('answers null at the deadline and sends the late reply as a customer-service message', async () => {
    const { subscriber, sent, failures, close } = bot();
    const started = Date.now();
    expect(await subscriber.answer(push('800:text'))).toBe(null);
    expect(Date.now() - started).toBeLessThan(700);
    await subscriber.drain();
    expect(sent).toEqual([
      {
        appid: 'wx1234567890abcdef',
        body: { touser: 'oBot', msgtype: 'text', text: { content: 'answer to oBot' } },
      },
    ]);
    expect(failures).toEqual([]);
    await close();
  });

  it("dead-letters a late reply WeChat refuses (45015: the user's 48 h are over)", async () => {
    const refused = new WeChatError(45015, 'response out of time limit', '/cgi-bin/message/custom/send');
    const { subscriber, failures, close } = bot(refused);
    const event = push('500:text');
    expect(await subscriber.answer(event)).toBe(null);
    await subscriber.drain();
    expect(failures).toEqual([{ id: event.id, error: 'late reply refused by WeChat: errcode 45015' }]);
    await close();
  });

  it('treats no reply and a malformed reply as none, and a failing bot as a dead letter', async () => {
    const { subscriber, failures, close } = bot();
    expect(await subscriber.answer(push('0:none'))).toBe(null);
    expect(await subscriber.answer(push('0:junk'))).toBe(null);
    expect(failures).toEqual([]);
    const broken = push('0:error');
    expect(await subscriber.answer(broken)).toBe(null);
    expect(failures).toEqual([{ id: broken.id, error: 'reply subscriber answered HTTP 500' }]);
    await close();
  });
});
