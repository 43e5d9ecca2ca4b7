import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
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
  /** Emits `abort` (or is an aborted AbortSignal) when the caller went away. */
  readonly signal: AbortSignal | EventEmitter;
  /** JSON-like bodies above this are refused (they are buffered to find the errcode). */
  readonly maxJsonBytes: number;
}

/** WeChat's answer: JSON-like bodies buffered (to read errcode), anything else left streaming. */
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

/** Sends one request upstream. Rejects on transport failures (undici's errors, timeouts). */
export async function forwardUpstream(req: UpstreamRequest): Promise<UpstreamAnswer> {
  const headers: Record<string, string> = { accept: req.accept ?? '*/*', 'user-agent': 'wxhub' };
  if (req.body !== undefined && req.contentType) headers['content-type'] = req.contentType;
  // Origin and path, not a URL: undici would parse a URL string again on every call.
  const res = await req.dispatcher.request({
    origin: req.origin,
    path: req.path,
    method: req.method,
    headers,
    body: req.body,
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
    signal: req.signal,
  });
  const passed: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = res.headers[name];
    if (typeof value === 'string') passed[name] = value;
  }
  const contentType = passed['content-type'] ?? '';
  if (!isJsonLike(contentType)) {
    const length = res.headers['content-length'];
    if (typeof length === 'string') passed['content-length'] = length;
    return { kind: 'stream', status: res.statusCode, headers: passed, body: res.body };
  }
  const body = await readCapped(res.body, req.maxJsonBytes);
  return { kind: 'buffered', status: res.statusCode, headers: passed, body, errcode: errcodeOf(body) };
}

/**
 * A whole body, refused past `max` bytes. Stream events rather than `for await`: the async
 * iterator costs a promise per chunk and an end-of-stream watcher per body, on every proxied call.
 */
function readCapped(body: Readable, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        body.destroy();
        reject(new UpstreamBodyTooLarge(`WeChat answered more than ${max} bytes of JSON`));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    body.once('error', reject);
  });
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
