import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookConsumer } from '../../src/gateway/deliver/webhook-consumer.js';
import { newWebhookSecret } from '../../src/gateway/deliver/webhook-signature.js';
import { systemClock } from '../../src/util/clock.js';
import { sampleEvent } from './event-log-contract.js';

let server: Server;
let base: string;
let status = 200;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (req.url === '/hang') return;
      res.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

describe('WebhookConsumer', () => {
  it("posts the event JSON that the spec's library verifies, with the event id as webhook-id", async () => {
    const secret = newWebhookSecret();
    const consumer = new WebhookConsumer(
      { name: 'crm', url: `${base}/hook?x=1`, secret, filter: {} },
      systemClock,
    );
    const event = sampleEvent({ fields: { Content: '你好', MsgId: '12345678901234567890' } });
    await consumer.deliver(event);
    await consumer.deliver(event);
    const [first, second] = received.slice(-2);
    const verified = new Webhook(secret).verify(first!.body, first!.headers as Record<string, string>);
    expect(verified).toEqual(JSON.parse(JSON.stringify(event)));
    expect((verified as { fields: { MsgId: string } }).fields.MsgId).toBe('12345678901234567890');
    expect(first!.headers['webhook-id']).toBe(event.id);
    expect(second!.headers['webhook-id']).toBe(event.id);
    expect(first!.headers['content-type']).toBe('application/json');
    await consumer.close();
  });

  it('fails on a non-2xx answer and on a refused connection, naming no secret', async () => {
    const secret = newWebhookSecret();
    const consumer = new WebhookConsumer(
      { name: 'crm', url: `${base}/hook`, secret, filter: {} },
      systemClock,
    );
    status = 503;
    await expect(consumer.deliver(sampleEvent())).rejects.toThrow(/HTTP 503/);
    status = 200;
    const closed = new WebhookConsumer(
      { name: 'gone', url: 'http://user:pw@127.0.0.1:1/hook', secret, filter: {} },
      systemClock,
    );
    const err = await closed.deliver(sampleEvent()).catch((e: Error) => e);
    expect(String(err)).toMatch(/ECONNREFUSED|connect/);
    expect(String(err)).not.toContain('pw');
    expect(String(err)).not.toContain(secret);
    await Promise.all([consumer.close(), closed.close()]);
  });
});

describe('WebhookConsumer URLs', () => {
  it('sends user info as Basic auth and refuses what is not http(s)', async () => {
    const secret = newWebhookSecret();
    const consumer = new WebhookConsumer(
      { name: 'crm', url: `${base.replace('//', '//me:s%40cret@')}/hook`, secret, filter: {} },
      systemClock,
    );
    await consumer.deliver(sampleEvent());
    expect(received.at(-1)!.headers.authorization).toBe(
      `Basic ${Buffer.from('me:s@cret').toString('base64')}`,
    );
    await consumer.close();
    expect(
      () => new WebhookConsumer({ name: 'x', url: 'ftp://a/b', secret, filter: {} }, systemClock),
    ).toThrow(/http/);
    expect(
      () => new WebhookConsumer({ name: 'x', url: 'not a url', secret, filter: {} }, systemClock),
    ).toThrow(/http/);
  });
});
