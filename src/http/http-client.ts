import { Agent, type Dispatcher, request, errors as undiciErrors } from 'undici';
import { WxhubError } from '../errors/index.js';
import { pathOf, redactUrl } from './redact.js';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface HttpClientOptions {
  /** Whole-request timeout (headers and body), ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Largest response body accepted, bytes. Default 4 MiB. */
  readonly maxBodyBytes?: number;
  /** An undici dispatcher to use instead of the client's own keep-alive pool (tests, proxies). */
  readonly dispatcher?: Dispatcher;
}

export interface JsonRequest {
  readonly query?: Query;
  /** Sent as `application/json`. */
  readonly json?: unknown;
  /** Sent as is, with `contentType` (form bodies, for tests of WeChat's format errors). */
  readonly body?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface JsonResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Appends a query to a URL, skipping undefined values. */
export function withQuery(url: string, query?: Query): string {
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, String(v));
  const qs = params.toString();
  if (!qs) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${qs}`;
}

/**
 * The one place wxhub's outbound bytes meet the network: a keep-alive pool, a timeout on every
 * request, a size cap, and a JSON guard that turns HTML or empty gateway bodies into a typed
 * transport error. TLS verification is undici's default and is never switched off here.
 */
export class HttpClient {
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;

  constructor(options: HttpClientOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
    this.#ownsDispatcher = !options.dispatcher;
    this.#dispatcher =
      options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 128, pipelining: 1 });
  }

  /** Sends a request and parses a JSON object body; rejects with WxhubError on anything else. */
  async json(method: 'GET' | 'POST', url: string, req: JsonRequest = {}): Promise<JsonResponse> {
    const full = withQuery(url, req.query);
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    } else if (req.body !== undefined) {
      body = req.body;
      headers['content-type'] = req.contentType ?? 'text/plain';
    }
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let text: string;
    let status: number;
    try {
      const res = await request(full, { method, headers, body, signal, dispatcher: this.#dispatcher });
      status = res.statusCode;
      text = await readCapped(res.body, this.#maxBodyBytes);
    } catch (err) {
      throw this.#transportError(err, full);
    }
    const parsed = parseJsonObject(text);
    if (!parsed) {
      throw new WxhubError(
        'WXHUB_ERR_UPSTREAM_BODY',
        `${method} ${pathOf(full)} answered HTTP ${status} with ${describeBody(text)}`,
      );
    }
    return { status, body: parsed };
  }

  /** The dispatcher, for callers that stream (the hub's proxy). */
  get dispatcher(): Dispatcher {
    return this.#dispatcher;
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  #transportError(err: unknown, url: string): WxhubError {
    const where = redactUrl(url);
    if (isTimeout(err)) return new WxhubError('WXHUB_ERR_TIMEOUT', `${where} after ${this.#timeoutMs} ms`);
    if (err instanceof WxhubError) return err;
    const reason = err instanceof Error ? err.message : String(err);
    return new WxhubError('WXHUB_ERR_TRANSPORT', `${where}: ${redactUrl(reason)}`);
  }
}

function isTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'TimeoutError' ||
    err.name === 'AbortError' ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  );
}

async function readCapped(body: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw new WxhubError('WXHUB_ERR_UPSTREAM_BODY', `body larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  if (!text || text[0] !== '{') return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function describeBody(text: string): string {
  if (!text) return 'an empty body';
  const head = text.slice(0, 60).replace(/\s+/g, ' ');
  return `a non-JSON body (${text.length} bytes, starting "${head}")`;
}
