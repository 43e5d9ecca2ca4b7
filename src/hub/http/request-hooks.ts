import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { redactUrl } from '../../http/index.js';

/**
 * One log line and one latency observation per request. Fastify's own request logging is off:
 * it would log raw URLs, and legacy callers put keys and tokens in query strings (`secret=`,
 * `access_token=`, `code=` are redacted here; headers, Authorization included, are never logged).
 */
export function installRequestHooks(app: FastifyInstance): void {
  app.decorateRequest('clientKey', null);
  // A callback hook, not an async one: this runs once per request, and a promise per request is
  // measurable on the token route (bench/hub-throughput.ts).
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    app.hub.metrics.request(route, request.method, reply.statusCode, ms / 1000);
    if (infoEnabled(request.log)) {
      const url = request.url;
      // Fastify's `req` serializer keeps only method and url of `req` (it dropped route and IP
      // when they were inside it), and the logger censors a field named `key` (hub-logger.ts).
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
    done();
  });
}

/** pino's isLevelEnabled (any other logger: assume yes), so a hub at `warn` builds no log object. */
function infoEnabled(log: FastifyBaseLogger): boolean {
  return (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') ?? true;
}
