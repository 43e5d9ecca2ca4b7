import { Agent, type Dispatcher, errors as undiciErrors } from 'undici';
import { WxhubError } from '../errors/index.js';
import { encodeQueryPart } from './query-string.js';
import { pathOf, redactUrl } from './redact.js';
import { requestText } from './text-response.js';

/**
 * Sockets per origin. undici reuses a socket only an event-loop turn after its response, so a
 * caller that asks again at once finds it busy and, below the cap, a new socket is dialled: an
 * uncapped pool grows to about twice its callers (100 sockets for 50 in bench/api-throughput.ts),
 * and every socket over the callers costs CPU on both ends. 50 carries ~1,500 calls/s at WeChat's
 * ~30 ms latency; calls over the cap wait in undici's queue. Raise it for more.
 */
export const DEFAULT_CONNECTIONS = 50;

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface HttpClientOptions {
  /** Time allowed for the response headers, and for each gap in the body, ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Keep-alive connections per origin. Default DEFAULT_CONNECTIONS. */
  readonly connections?: number;
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
  /** `Retry-After` of a 429 or 503 answer, in seconds from now (delta-seconds or an HTTP date). */
  readonly retryAfterSeconds?: number;
}

/** Appends a query to a URL, skipping undefined values (form-encoded like URLSearchParams). */
export function withQuery(url: string, query?: Query): string {
  if (!query) return url;
  let qs = '';
  for (const key in query) {
    const value = query[key];
    if (value === undefined) continue;
    qs += `${qs ? '&' : ''}${encodeQueryPart(key)}=${encodeQueryPart(String(value))}`;
  }
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
      options.dispatcher ??
      new Agent({
        keepAliveTimeout: 10_000,
        connections: options.connections ?? DEFAULT_CONNECTIONS,
        pipelining: 1,
      });
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
    // Origin and path by string slicing, and undici's own header/body timers: a URL object and an
    // AbortSignal.timeout() per call cost more than the rest of a warm API call together.
    const { origin, path } = splitUrl(full);
    let status: number;
    let text: string;
    let retryAfter: string | undefined;
    try {
      ({ status, text, retryAfter } = await requestText(
        this.#dispatcher,
        {
          origin,
          path,
          method,
          headers,
          body,
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
        },
        this.#maxBodyBytes,
        () => tooLarge(this.#maxBodyBytes),
      ));
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
    const retryAfterSeconds = retryAfter === undefined ? undefined : parseRetryAfter(retryAfter, Date.now());
    return retryAfterSeconds === undefined
      ? { status, body: parsed }
      : { status, body: parsed, retryAfterSeconds };
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

/**
 * RFC 9110 §10.2.3: `Retry-After` is delta-seconds or an HTTP date. Undefined when it is neither,
 * so a garbled header never turns into a wait.
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at) || !/[A-Za-z]/.test(trimmed)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
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

function tooLarge(max: number): WxhubError {
  return new WxhubError('WXHUB_ERR_UPSTREAM_BODY', `body larger than ${max} bytes`);
}

/** `https://host:port/p?q` → origin and path, without building a URL object. */
export function splitUrl(url: string): { origin: string; path: string } {
  const scheme = url.indexOf('://');
  if (scheme === -1)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'url must be absolute (http:// or https://)');
  const slash = url.indexOf('/', scheme + 3);
  const query = url.indexOf('?', scheme + 3);
  const cut = slash === -1 ? query : query === -1 ? slash : Math.min(slash, query);
  if (cut === -1) return { origin: url, path: '/' };
  const rest = url.slice(cut);
  return { origin: url.slice(0, cut), path: rest[0] === '?' ? `/${rest}` : rest };
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
