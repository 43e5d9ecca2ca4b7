import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../../config/index.js';
import { redactUrl } from '../../http/index.js';

/** With `logging.requests: errors`, a successful request slower than this still gets a line. */
export const SLOW_REQUEST_MS = 1000;

type RequestLogging = Config['logging']['requests'];

/**
 * A latency observation for every request, and an access line for the requests
 * `logging.requests` asks for. Fastify's own request logging is off: it would log raw URLs, and
 * legacy callers put keys and tokens in query strings (`secret=`, `access_token=`, `code=` are
 * redacted here; headers, Authorization included, are never logged).
 */
export function installRequestHooks(app: FastifyInstance, logging: RequestLogging): void {
  app.decorateRequest('clientKey', null);
  // A callback hook, not an async one: this runs once per request, and a promise per request is
  // measurable on the token route (bench/hub-throughput.ts).
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    app.hub.metrics.request(route, request.method, reply.statusCode, ms / 1000);
    if (wanted(logging, reply.statusCode, ms)) {
      logAccess(request.log, {
        method: request.method,
        url: request.url,
        route,
        remoteAddress: request.ip,
        statusCode: reply.statusCode,
        keyId: request.clientKey?.id,
        ms,
      });
    }
    done();
  });
}

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
}

/**
 * Every line costs the hub about a third of its CPU on the token route (docs/benchmarks.md), so by
 * default only the requests an operator would look for: refusals, failures and slow answers.
 */
export function wanted(logging: RequestLogging, status: number, ms: number): boolean {
  if (logging === 'all') return true;
  return logging === 'errors' && (status >= 400 || ms >= SLOW_REQUEST_MS);
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
      responseTime: Math.round(line.ms * 10) / 10,
    },
    'request completed',
  );
}

/** pino's isLevelEnabled (any other logger: assume yes), so a hub at `warn` builds no log object. */
function infoEnabled(log: FastifyBaseLogger): boolean {
  return (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') ?? true;
}
