import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret } from '../../src/gateway/deliver/webhook-signature.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';

/** One delivery the subscriber got, and when (ms of the run) it answered 2xx, if it did. */
export interface SubscriberDelivery {
  readonly webhookId: string;
  readonly msgId: string;
  readonly openid: string;
  readonly at: number;
  answeredAt: number | undefined;
}

/**
 * A webhook subscriber of the gateway scenario: verifies each delivery with `standardwebhooks`,
 * answers 204 after `delayMs` (so deliveries are in flight when a hub dies), and can be taken
 * down two ways: `down` answers 503, `kill` closes its port (connections refused) until
 * `revive` listens again on the same port.
 */
export class ChaosSubscriber {
  readonly secret = newWebhookSecret();
  readonly deliveries: SubscriberDelivery[] = [];
  down = false;
  readonly #verifier = new Webhook(this.secret);
  readonly #delayMs: number;
  readonly #started: number;
  #server: Server | undefined;
  #port = 0;

  constructor(
    readonly name: string,
    options: { delayMs: number; started: number },
  ) {
    this.#delayMs = options.delayMs;
    this.#started = options.started;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hook`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => this.#handle(body, req.headers as Record<string, string>, res));
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (server.address() as AddressInfo).port;
  }

  /** Closes the port and every connection: the hub sees connections refused. */
  async kill(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  revive(): Promise<void> {
    return this.start();
  }

  #handle(body: string, headers: Record<string, string>, res: ServerResponse): void {
    if (this.down) {
      res.writeHead(503).end();
      return;
    }
    let event: PushEvent;
    try {
      event = this.#verifier.verify(body, headers) as PushEvent;
    } catch {
      res.writeHead(400).end('bad signature');
      return;
    }
    const delivery: SubscriberDelivery = {
      webhookId: headers['webhook-id'] ?? '',
      msgId: String(event.fields.MsgId),
      openid: event.openid,
      at: this.#now(),
      answeredAt: undefined,
    };
    this.deliveries.push(delivery);
    setTimeout(() => {
      if (res.destroyed || !this.#server) return;
      res.writeHead(204).end();
      delivery.answeredAt = this.#now();
    }, this.#delayMs);
  }

  #now(): number {
    return performance.now() - this.#started;
  }
}
