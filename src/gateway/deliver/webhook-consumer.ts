import { Agent, type Dispatcher } from 'undici';
import { WxhubError } from '../../errors/index.js';
import type { Clock } from '../../util/clock.js';
import type { PushEvent } from '../receive/push-event.js';
import type { Consumer, ConsumerFilter } from './consumer.js';
import { webhookHeaders, webhookKey } from './webhook-signature.js';

export interface WebhookSubscriber {
  readonly name: string;
  readonly url: string;
  /** `whsec_` + base64 key (Standard Webhooks). */
  readonly secret: string;
  readonly filter: ConsumerFilter;
}

/** A subscriber has this long to answer 2xx, ms (DESIGN.md: "2xx within 10 s = delivered"). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** The JSON body consumers receive: the event, without its fields reordered or renamed. */
export function webhookBody(event: PushEvent): string {
  return JSON.stringify(event);
}

/**
 * A webhook subscriber: `POST url` with the event JSON and Standard Webhooks headers, so the
 * consumer verifies it with the spec's library in its own language. A 2xx within 10 s is a
 * delivery; anything else (another status, a timeout, a refused connection) is an error the
 * delivery workers retry, with the same `webhook-id`.
 */
export class WebhookConsumer implements Consumer {
  readonly name: string;
  readonly filter: ConsumerFilter;
  readonly #key: Buffer;
  readonly #origin: string;
  readonly #path: string;
  readonly #where: string;
  /** Basic credentials from the URL's user info, sent as a header (never logged). */
  readonly #authorization: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #clock: Clock;

  constructor(subscriber: WebhookSubscriber, clock: Clock, dispatcher?: Dispatcher) {
    this.name = subscriber.name;
    this.filter = subscriber.filter;
    this.#key = webhookKey(subscriber.secret, subscriber.name);
    const url = parseUrl(subscriber);
    this.#origin = url.origin;
    this.#path = `${url.pathname}${url.search}`;
    // Errors name the host and path only: a query or user info may carry the subscriber's secret.
    this.#where = `${url.origin}${url.pathname}`;
    this.#authorization = url.username
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
    this.#ownsDispatcher = !dispatcher;
    this.#dispatcher = dispatcher ?? new Agent({ connections: 16, keepAliveTimeout: 10_000 });
    this.#clock = clock;
  }

  async deliver(event: PushEvent): Promise<void> {
    const { status } = await this.post(event, WEBHOOK_TIMEOUT_MS, 0);
    if (status < 200 || status > 299) throw new Error(`${this.#where} answered HTTP ${status}`);
  }

  /**
   * One signed POST of `event`, resolving the status and up to `maxBody` bytes of the answer
   * (a reply subscriber's JSON); rejects on a timeout or transport failure, naming only the host.
   */
  async post(
    event: PushEvent,
    timeoutMs: number,
    maxBody: number,
  ): Promise<{ status: number; body: string }> {
    const payload = webhookBody(event);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'wxhub-gateway',
      ...(this.#authorization ? { authorization: this.#authorization } : {}),
      ...webhookHeaders(this.#key, event.id, payload, Math.floor(this.#clock.now() / 1000)),
    };
    try {
      const response = await this.#dispatcher.request({
        origin: this.#origin,
        path: this.#path,
        method: 'POST',
        headers,
        body: payload,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      // A delivery reads no answer: dump() drains it without an async iterator and chunk list.
      if (maxBody === 0) {
        await response.body.dump();
        return { status: response.statusCode, body: '' };
      }
      return { status: response.statusCode, body: await readCapped(response.body, maxBody) };
    } catch (err) {
      throw new Error(`${this.#where}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}

/** The first `max` bytes of a body as text; the rest is read and dropped so the socket is reused. */
async function readCapped(body: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < max) chunks.push(chunk.subarray(0, max - size));
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseUrl(subscriber: WebhookSubscriber): URL {
  let url: URL | undefined;
  try {
    url = new URL(subscriber.url);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new WxhubError(
      'WXHUB_ERR_INVALID_CONFIG',
      `subscriber ${subscriber.name}: url must be http:// or https://`,
    );
  }
  return url;
}
