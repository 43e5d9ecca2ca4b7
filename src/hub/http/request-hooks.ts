import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../../config/index.js';
import { ERRORS, type ErrorCode } from '../../errors/index.js';
import { redactUrl } from '../../http/index.js';
import { WXHUB_ERROR_HEADER } from '../drop-in/wechat-body.js';
import type { HubServices } from '../hub-services.js';
import { FloodSampler } from './flood-sampler.js';

/** With `logging.requests: errors`, a successful request slower than this still gets a line. */
export const SLOW_REQUEST_MS = 1000;

type RequestLogging = Config['logging']['requests'];

/** One request as its access line tells it. */
export interface AccessLine {
  readonly method: string;
  /** As requested: query strings are redacted before they are logged. */
  readonly url: string;
  readonly route: string;
  readonly remoteAddress: string | undefined;
  readonly statusCode: number;
  readonly keyId: string | null | undefined;
  readonly ms: number;
  /** The hub's reason (`X-Wxhub-Error`) when it answered an error of its own. */
  readonly error?: string | undefined;
}

/**
 * The end of every request, whoever answered it (the Fastify hook below or a fast lane): a
 * latency observation, a count of the hub's own error codes, and the access line
 * `logging.requests` asks for. With `errors` (the default), refusals (4xx, and the drop-in's HTTP
 * 200 refusals) are sampled per source address, so a flood of bad keys writes a few lines and one
 * summary, not a line each; `all` writes every line, as asked.
 */
export class RequestLog {
  readonly #logging: RequestLogging;
  readonly #sampler: FloodSampler;

  constructor(
    private readonly hub: Pick<HubServices, 'metrics' | 'clock' | 'config'>,
    /** The hub's root logger: the lanes' lines and the flood summaries go here. */
    readonly log: FastifyBaseLogger,
  ) {
    this.#logging = hub.config.logging.requests;
    this.#sampler = new FloodSampler(hub.clock);
  }

  finish(log: FastifyBaseLogger, line: AccessLine): void {
    const { metrics } = this.hub;
    metrics.request(line.route, line.method, line.statusCode, line.ms / 1000);
    if (line.error !== undefined) metrics.hubError(line.route, line.error);
    if (!wanted(this.#logging, line.statusCode, line.ms, line.error)) return;
    if (this.#logging === 'errors' && isRefusal(line.statusCode, line.error)) {
      const { write, ended } = this.#sampler.admit(line.remoteAddress ?? 'unknown');
      this.#summarize(ended);
      if (!write) return;
    }
    logAccess(log, line);
  }

  /** finish() for a success of one fixed label set, found once: the lanes' hot path. */
  recorder(route: string, method: string, status: number): (seconds: number) => void {
    return this.hub.metrics.requestRecorder(route, method, status);
  }

  /** Writes the summaries of sampled floods whose window is over (every one with `all`). */
  flush(all = false): void {
    this.#summarize(this.#sampler.drain(all));
  }

  #summarize(ended: readonly { source: string; suppressed: number; since: number }[]): void {
    for (const { source, suppressed, since } of ended) {
      this.log.warn(
        { remoteAddress: source, suppressed, since: new Date(since).toISOString() },
        'access lines suppressed: a flood of refused requests from one source',
      );
    }
  }
}

/** How often ended flood windows are summarized when their source went quiet, ms. */
const FLUSH_MS = 10_000;

/**
 * Hands each request Fastify answered to `requests.finish()`. Fastify's own request logging is
 * off: it would log raw URLs, and legacy callers put keys and tokens in query strings (redacted
 * here; headers, Authorization included, are never logged).
 */
export function installRequestHooks(app: FastifyInstance, requests: RequestLog): void {
  app.decorateRequest('clientKey', null);
  // A callback hook, not an async one: this runs once per request, and a promise per request is
  // measurable on the token route (bench/hub-throughput.ts).
  app.addHook('onResponse', (request, reply, done) => {
    const error = reply.getHeader(WXHUB_ERROR_HEADER);
    requests.finish(request.log, {
      method: request.method,
      url: request.url,
      route: request.routeOptions.url ?? 'unmatched',
      remoteAddress: request.ip,
      statusCode: reply.statusCode,
      keyId: request.clientKey?.id,
      ms: reply.elapsedTime,
      error: typeof error === 'string' ? error : undefined,
    });
    done();
  });
  const timer = setInterval(() => requests.flush(), FLUSH_MS);
  timer.unref();
  app.addHook('onClose', (_app, done) => {
    clearInterval(timer);
    requests.flush(true);
    done();
  });
}

/**
 * Every line costs the hub about a third of its CPU on the token route (docs/benchmarks.md), so by
 * default only the requests an operator would look for: refusals, failures and slow answers.
 */
export function wanted(logging: RequestLogging, status: number, ms: number, error?: string): boolean {
  if (logging === 'all') return true;
  return logging === 'errors' && (status >= 400 || error !== undefined || ms >= SLOW_REQUEST_MS);
}

/** A refusal of the caller (4xx, or a drop-in refusal answered 200), as opposed to a failure. */
function isRefusal(status: number, error: string | undefined): boolean {
  if (status >= 400 && status < 500) return true;
  const entry = error === undefined ? undefined : ERRORS[error as ErrorCode];
  return entry !== undefined && entry.status >= 400 && entry.status < 500;
}

/** The `request completed` line (the Fastify hook's and the fast lanes'). */
export function logAccess(log: FastifyBaseLogger, line: AccessLine): void {
  if (!infoEnabled(log)) return;
  const { url } = line;
  // Fastify's `req` serializer keeps only method and url of `req` (it dropped route and IP when
  // they were inside it), and the logger censors a field named `key` (hub-logger.ts).
  log.info(
    {
      req: { method: line.method, url: url.includes('?') || url.includes('&') ? redactUrl(url) : url },
      route: line.route,
      remoteAddress: line.remoteAddress,
      res: { statusCode: line.statusCode },
      keyId: line.keyId ?? undefined,
      error: line.error,
      responseTime: Math.round(line.ms * 10) / 10,
    },
    'request completed',
  );
}

/** pino's isLevelEnabled (any other logger: assume yes), so a hub at `warn` builds no log object. */
function infoEnabled(log: FastifyBaseLogger): boolean {
  return (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') ?? true;
}
