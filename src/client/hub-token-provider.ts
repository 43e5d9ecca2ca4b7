import { ERRORS, type ErrorCode, WxhubError } from '../errors/index.js';
import { HttpClient, type JsonRequest } from '../http/index.js';
import type { TicketType } from '../tokens/fetchers.js';
import { sleep } from '../tokens/retry.js';
import type { TokenProvider } from './token-provider.js';

export interface HubTokenProviderOptions {
  /** The hub's base URL, e.g. `http://hub.internal:8080`. */
  readonly url: string;
  /** A client key with the `token` scope (and `refresh` for refresh-if-current). */
  readonly key: string;
  /** Default: an HttpClient with a `HUB_TIMEOUT_MS` timeout. */
  readonly http?: HttpClient;
  /** Stop using a cached credential this long before it expires, ms. Default 60000. */
  readonly expiryMarginMs?: number;
  /**
   * A busy hub (429, or a 503 it expects to clear) is asked again after its `Retry-After`, with
   * jitter, at most `retries` times and never waiting more than `maxRetryWaitMs` in all.
   * Default `{retries: 3, maxRetryWaitMs: 10000}`; `{retries: 0}` fails at once.
   */
  readonly retry?: { readonly retries?: number; readonly maxRetryWaitMs?: number };
}

/**
 * 503s that waiting a few seconds cannot cure: the account is disabled by a configuration error,
 * or its daily quota is gone. Other 503s (a store or lease hiccup, a hub shutting down) are retried.
 */
const FINAL_503 = new Set(['WXHUB_ERR_ACCOUNT_DISABLED', 'WXHUB_ERR_QUOTA_EXHAUSTED']);
/** Wait for a 429 or retryable 503 that names no `Retry-After`, seconds. */
const DEFAULT_RETRY_AFTER_S = 1;

/**
 * How long a call to the hub may take, ms. Longer than the hub's own worst case for a refresh (four
 * attempts of its `wechat.timeoutMs`, 5 s by default, plus backoff; or a 20 s wait for another
 * hub's lease), so a caller never gives up on a refresh the hub is still completing.
 */
export const HUB_TIMEOUT_MS = 30_000;

interface Cached {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * Credentials from a wxhub hub (`wxhub serve`): the hub alone talks to WeChat for tokens. Values
 * are cached here until shortly before they expire, so an API call costs no extra round trip.
 */
export class HubTokenProvider implements TokenProvider {
  readonly #base: string;
  readonly #key: string;
  readonly #http: HttpClient;
  readonly #ownsHttp: boolean;
  readonly #marginMs: number;
  readonly #retries: number;
  readonly #maxRetryWaitMs: number;
  readonly #cache = new Map<string, Cached>();
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(options: HubTokenProviderOptions) {
    if (!options?.url || !/^https?:\/\//.test(options.url)) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        'url must be the hub base URL (http:// or https://)',
      );
    }
    if (!options.key)
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'key (a hub client key) is required');
    this.#base = options.url.replace(/\/+$/, '');
    this.#key = options.key;
    this.#ownsHttp = !options.http;
    this.#http = options.http ?? new HttpClient({ timeoutMs: HUB_TIMEOUT_MS });
    this.#marginMs = options.expiryMarginMs ?? 60_000;
    this.#retries = options.retry?.retries ?? 3;
    this.#maxRetryWaitMs = options.retry?.maxRetryWaitMs ?? 10_000;
    if (!Number.isInteger(this.#retries) || this.#retries < 0)
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'retry.retries must be a non-negative integer');
    if (!(this.#maxRetryWaitMs >= 0))
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'retry.maxRetryWaitMs must be a number ≥ 0');
  }

  getAccessToken(appid: string): Promise<string> {
    return this.#cached(`token:${appid}`, () =>
      this.#ask('GET', `/v1/accounts/${encodeURIComponent(appid)}/access-token`, 'access_token'),
    );
  }

  refreshAccessToken(appid: string, staleToken: string): Promise<string> {
    const key = `token:${appid}`;
    const cached = this.#cache.get(key);
    if (cached && cached.value !== staleToken && Date.now() < cached.expiresAt - this.#marginMs) {
      return Promise.resolve(cached.value);
    }
    this.#cache.delete(key);
    return this.#single(`refresh:${appid}:${staleToken}`, async () => {
      const got = await this.#ask(
        'POST',
        `/v1/accounts/${encodeURIComponent(appid)}/access-token/refresh`,
        'access_token',
        {
          json: { stale_token: staleToken },
        },
      );
      this.#cache.set(key, got);
      return got.value;
    });
  }

  getTicket(appid: string, type: TicketType): Promise<string> {
    return this.#cached(`ticket:${type}:${appid}`, () =>
      this.#ask('GET', `/v1/accounts/${encodeURIComponent(appid)}/jsapi-ticket`, 'ticket', {
        query: { type },
      }),
    );
  }

  async close(): Promise<void> {
    if (this.#ownsHttp) await this.#http.close();
  }

  #cached(key: string, load: () => Promise<Cached>): Promise<string> {
    const hit = this.#cache.get(key);
    if (hit && Date.now() < hit.expiresAt - this.#marginMs) return Promise.resolve(hit.value);
    return this.#single(key, async () => {
      const got = await load();
      this.#cache.set(key, got);
      return got.value;
    });
  }

  #single(key: string, run: () => Promise<string>): Promise<string> {
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = run().finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  async #ask(method: 'GET' | 'POST', path: string, field: string, req: JsonRequest = {}): Promise<Cached> {
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      const { status, body, retryAfterSeconds } = await this.#http.json(method, this.#base + path, {
        ...req,
        headers: { authorization: `Bearer ${this.#key}` },
      });
      if (status === 200) return cachedFrom(body, field, path);
      const error = hubError(status, body);
      const wait = attempt < this.#retries && retryable(status, error) ? backoff(retryAfterSeconds) : null;
      if (wait === null || waited + wait > this.#maxRetryWaitMs) throw error;
      waited += wait;
      await sleep(wait);
    }
  }
}

function cachedFrom(body: Record<string, unknown>, field: string, path: string): Cached {
  const value = body[field];
  const expiresIn = body.expires_in;
  if (typeof value !== 'string' || typeof expiresIn !== 'number') {
    throw new WxhubError('WXHUB_ERR_UPSTREAM_BODY', `hub ${path} answered without ${field}/expires_in`);
  }
  return { value, expiresAt: Date.now() + expiresIn * 1000 };
}

function retryable(status: number, error: WxhubError): boolean {
  return status === 429 || (status === 503 && !FINAL_503.has(error.code));
}

/**
 * The hub's `Retry-After` plus up to a fifth more (at least 100 ms) of random jitter, so a fleet
 * of callers refused together does not come back together.
 */
function backoff(retryAfterSeconds: number | undefined): number {
  const base = (retryAfterSeconds ?? DEFAULT_RETRY_AFTER_S) * 1000;
  return Math.round(base + Math.random() * Math.max(100, base / 5));
}

/** Rebuilds the hub's JSON error (`{error: {code, message, errcode?}}`) as a WxhubError. */
function hubError(status: number, body: Record<string, unknown>): WxhubError {
  const error = (body.error ?? {}) as { code?: unknown; message?: unknown; errcode?: unknown };
  const code =
    typeof error.code === 'string' && error.code in ERRORS
      ? (error.code as ErrorCode)
      : 'WXHUB_ERR_TRANSPORT';
  const message = typeof error.message === 'string' ? error.message : `hub answered HTTP ${status}`;
  return new WxhubError(code, `hub: ${message}`, {
    errcode: typeof error.errcode === 'number' ? error.errcode : undefined,
  });
}
