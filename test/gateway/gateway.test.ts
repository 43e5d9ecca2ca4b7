import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySchema } from '../../src/config/gateway-schema.js';
import { newWebhookSecret } from '../../src/gateway/deliver/webhook-signature.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { MemoryEventLog } from '../../src/gateway/log/memory-event-log.js';
import { callbackRoutes } from '../../src/gateway/receive/callback-routes.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';
import { parsePushXml } from '../../src/gateway/xml/push-xml.js';
import { MemoryStore } from '../../src/store/index.js';
import { systemClock } from '../../src/util/clock.js';

const SHOP = 'wx1111111111111111';
const BLOG = 'wx2222222222222222';
const TOKEN = 'Tok3n';
const crmSecret = newWebhookSecret();
const botSecret = newWebhookSecret();
const sha1 = (...parts: string[]) => createHash('sha1').update(parts.sort().join('')).digest('hex');

/** The CRM (takes everything) and the bot (answers SHOP's pushes; fails on "fail"). */
const got: { crm: PushEvent[]; bot: PushEvent[] } = { crm: [], bot: [] };
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const who = req.url === '/crm' ? 'crm' : 'bot';
      const event = new Webhook(who === 'crm' ? crmSecret : botSecret).verify(
        body,
        req.headers as Record<string, string>,
      ) as PushEvent;
      got[who].push(event);
      if (event.fields.Content === 'fail') return res.writeHead(500).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        who === 'bot' ? JSON.stringify({ reply: { msgtype: 'text', content: 'hello from the bot' } }) : '',
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Gateway', () => {
  it('answers with the reply subscriber, fans out to the others, and dead-letters a failed reply call', async () => {
    const log = new MemoryEventLog();
    const gateway = new Gateway({
      accounts: [
        {
          appid: SHOP,
          callback: {
            token: TOKEN,
            mode: 'plain',
            reply: { subscriber: 'bot', deadlineMs: 2000, lateReplyMs: 5000 },
          },
        },
        { appid: BLOG, callback: { token: TOKEN, mode: 'plain' } },
        { appid: 'wx3333333333333333' },
      ],
      subscribers: [
        { name: 'crm', url: `${base}/crm`, secret: crmSecret, filter: {} },
        { name: 'bot', url: `${base}/bot`, secret: botSecret, filter: {} },
      ],
      settings: gatewaySchema.parse({ partitions: 4 }),
      store: new MemoryStore(),
      log,
      clock: systemClock,
      sendCustomMessage: async () => undefined,
    });
    const app = Fastify();
    await app.register(callbackRoutes, gateway.routes());
    await gateway.start();
    const now = String(Math.floor(Date.now() / 1000));
    const push = (appid: string, msgId: string, content: string) =>
      app.inject({
        method: 'POST',
        url: `/callback/${appid}?signature=${sha1(TOKEN, now, '1')}&timestamp=${now}&nonce=1&openid=oU`,
        payload: `<xml><ToUserName>gh_x</ToUserName><FromUserName>oU</FromUserName><CreateTime>${now}</CreateTime><MsgType>text</MsgType><Content>${content}</Content><MsgId>${msgId}</MsgId></xml>`,
      });

    const answered = await push(SHOP, '1', 'hi');
    expect(parsePushXml(answered.body)).toMatchObject({
      MsgType: 'text',
      Content: 'hello from the bot',
      ToUserName: 'oU',
    });
    expect((await push(BLOG, '2', 'hi')).body).toBe('success');
    expect((await push(SHOP, '3', 'fail')).body).toBe('success');
    expect((await app.inject(`/callback/wx3333333333333333?echostr=1`)).statusCode).toBe(404);

    await until(() => got.crm.length === 3);
    // The bot answered SHOP's pushes synchronously; its queue never sends them again.
    await new Promise((r) => setTimeout(r, 200));
    // The bot got SHOP's pushes once each (synchronously) and BLOG's through its queue.
    expect(got.bot.map((e) => `${e.appid}:${e.fields.MsgId}`).sort()).toEqual(
      [`${SHOP}:1`, `${SHOP}:3`, `${BLOG}:2`].sort(),
    );
    expect(got.bot).toHaveLength(3);
    const letters = await log.deadLetters('bot', 10);
    expect(letters.map((l) => [l.event.fields.MsgId, l.error])).toEqual([
      ['3', 'reply subscriber answered HTTP 500'],
    ]);
    expect(await log.deadLetters('crm', 10)).toEqual([]);
    await gateway.close();
    await app.close();
  });

  it('refuses a reply subscriber that does not exist or is not a webhook', () => {
    const make = (subscriber: string) =>
      new Gateway({
        accounts: [
          {
            appid: SHOP,
            callback: {
              token: TOKEN,
              mode: 'plain',
              reply: { subscriber, deadlineMs: 4000, lateReplyMs: 60_000 },
            },
          },
        ],
        subscribers: [{ name: 'mq', amqp: 'amqp://127.0.0.1', exchange: 'x', filter: {} }],
        settings: gatewaySchema.parse({}),
        store: new MemoryStore(),
        log: new MemoryEventLog(),
        clock: systemClock,
        sendCustomMessage: async () => undefined,
      });
    expect(() => make('nobody')).toThrow(/no webhook subscriber named nobody/);
    expect(() => make('mq')).toThrow(/no webhook subscriber named mq/);
  });
});
