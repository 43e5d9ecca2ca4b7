import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
    if (wanted(logging, reply.statusCode, ms) && infoEnabled(request.log))
      logRequest(request, reply, route, ms);
    done();
  });
}

/**
 * Every line costs the hub about a third of its CPU on the token route (docs/benchmarks.md), so by
 * default only the requests an operator would look for: refusals, failures and slow answers.
 */
function wanted(logging: RequestLogging, status: number, ms: number): boolean {
  if (logging === 'all') return true;
  return logging === 'errors' && (status >= 400 || ms >= SLOW_REQUEST_MS);
}

function logRequest(request: FastifyRequest, reply: FastifyReply, route: string, ms: number): void {
  const url = request.url;
  // Fastify's `req` serializer keeps only method and url of `req` (it dropped route and IP when
  // they were inside it), and the logger censors a field named `key` (hub-logger.ts).
  request.log.info(
    {
      req: { method: request.method, url: url.includes('?') || url.includes('&') ? redactUrl(url) : url },
      route,
      remoteAddress: request.ip,
      res: { statusCode: reply.statusCode },
      keyId: request.clientKey?.id,
      responseTime: Math.round(ms * 10) / 10,
    },
    'request completed',
  );
}

/** pino's isLevelEnabled (any other logger: assume yes), so a hub at `warn` builds no log object. */
function infoEnabled(log: FastifyBaseLogger): boolean {
  return (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') ?? true;
}
