import type { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

/** One request to WeChat's API host, as the proxy sends it. */
export interface UpstreamRequest {
  readonly method: 'GET' | 'POST';
  /** `wechat.apiBase`'s origin, e.g. `https://api.weixin.qq.com`. */
  readonly origin: string;
  /** The path on it (apiBase's own path first), query included. */
  readonly path: string;
  readonly body: Buffer | undefined;
  readonly contentType: string | undefined;
  readonly accept: string | undefined;
  readonly dispatcher: Dispatcher;
  /** Headers timeout and idle body timeout, ms. */
  readonly timeoutMs: number;
  /** Emits `abort` when the caller went away (`callerGone()` in wechat-forwarder.ts). */
  readonly signal: EventEmitter;
  /** JSON-like bodies above this are refused (they are buffered to find the errcode). */
  readonly maxJsonBytes: number;
}

/**
 * WeChat's answer: JSON-like bodies buffered (to read errcode), anything else left streaming.
 * `headers` are the ones worth passing on, with the length of a buffered body (or WeChat's, if it
 * gave one, for a stream); the object is the answer's own, for its writer to complete.
 */
export type UpstreamAnswer =
  | {
      readonly kind: 'buffered';
      readonly status: number;
      readonly headers: Record<string, string>;
      readonly body: Buffer;
      /** The `errcode` of a JSON object body; undefined when the body is not one. */
      readonly errcode: number | undefined;
    }
  | {
      readonly kind: 'stream';
      readonly status: number;
      readonly headers: Record<string, string>;
      readonly body: Readable;
    };

/** Response headers worth passing on; hop-by-hop and cookies stay behind. */
const PASSED_HEADERS = [
  'content-type',
  'content-disposition',
  'cache-control',
  'expires',
  'last-modified',
  'etag',
];

/** Bodies WeChat sends JSON in (media errors come as text/plain; some gateways send none). */
function isJsonLike(contentType: string): boolean {
  return contentType === '' || /json|text\/plain|javascript/i.test(contentType);
}

export class UpstreamBodyTooLarge extends Error {
  override readonly name = 'UpstreamBodyTooLarge';
}

/**
 * Sends one request upstream; rejects on transport failures (undici's errors, timeouts). A
 * dispatch handler rather than `dispatcher.request()`: most answers are small JSON, which it
 * buffers without building a Readable; anything else gets a Readable fed by the handler, with
 * undici paused while the caller's socket is full, and destroyed (aborting the upstream request)
 * when the caller goes away.
 */
export function forwardUpstream(req: UpstreamRequest): Promise<UpstreamAnswer> {
  const headers: Record<string, string> = { accept: req.accept ?? '*/*', 'user-agent': 'wxhub' };
  if (req.body !== undefined && req.contentType) headers['content-type'] = req.contentType;
  return new Promise((resolve, reject) => {
    // Origin and path, not a URL: undici would parse a URL string again on every call.
    req.dispatcher.dispatch(
      {
        origin: req.origin,
        path: req.path,
        method: req.method,
        headers,
        body: req.body,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      },
      new UpstreamHandler(req, resolve, reject),
    );
  });
}

class UpstreamHandler implements Dispatcher.DispatchHandler {
  #status = 0;
  readonly #headers: Record<string, string> = {};
  #chunks: Buffer[] = [];
  #size = 0;
  /** Set once the answer turned out not to be JSON: the body then streams through it. */
  #stream: Readable | undefined;

  constructor(
    private readonly req: UpstreamRequest,
    private readonly resolve: (answer: UpstreamAnswer) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const abort = () => controller.abort(new Error('the caller went away'));
    this.req.signal.once('abort', abort);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.#status = statusCode;
    for (const name of PASSED_HEADERS) {
      const value = headers[name];
      if (typeof value === 'string') this.#headers[name] = value;
    }
    if (isJsonLike(this.#headers['content-type'] ?? '')) return;
    const length = headers['content-length'];
    if (typeof length === 'string') this.#headers['content-length'] = length;
    this.#stream = new Readable({
      read: () => controller.resume(),
      destroy: (err, done) => {
        if (!controller.aborted) controller.abort(err ?? new Error('the caller went away'));
        done(err);
      },
    });
    this.resolve({ kind: 'stream', status: statusCode, headers: this.#headers, body: this.#stream });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#stream) {
      if (!this.#stream.push(chunk)) controller.pause();
      return;
    }
    this.#size += chunk.length;
    if (this.#size > this.req.maxJsonBytes) {
      this.#chunks = [];
      controller.abort(
        new UpstreamBodyTooLarge(`WeChat answered more than ${this.req.maxJsonBytes} bytes of JSON`),
      );
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#stream) {
      this.#stream.push(null);
      return;
    }
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#headers['content-length'] = String(body.length);
    const errcode = errcodeOf(body);
    this.resolve({ kind: 'buffered', status: this.#status, headers: this.#headers, body, errcode });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#stream) this.#stream.destroy(err);
    else this.reject(err);
  }
}

/** `"errcode"` as bytes: a success body without it (user/info…) is not parsed at all. */
const ERRCODE = Buffer.from('"errcode"');

function errcodeOf(body: Buffer): number | undefined {
  if (body.indexOf(ERRCODE) === -1) return undefined;
  const text = body.toString('utf8').trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as { errcode?: unknown };
    return typeof value.errcode === 'number' ? value.errcode : undefined;
  } catch {
    return undefined;
  }
}
