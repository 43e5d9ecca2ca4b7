import type { FastifyInstance } from 'fastify';
import { redactUrl } from '../../http/index.js';

/**
 * One log line and one latency observation per request. Fastify's own request logging is off:
 * it would log raw URLs, and legacy callers put keys and tokens in query strings (`secret=`,
 * `access_token=`, `code=` are redacted here; headers, Authorization included, are never logged).
 */
export function installRequestHooks(app: FastifyInstance): void {
  app.decorateRequest('clientKey', null);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    app.hub.metrics.request(route, request.method, reply.statusCode, ms / 1000);
    request.log.info(
      {
        req: { method: request.method, url: redactUrl(request.url), route, remoteAddress: request.ip },
        res: { statusCode: reply.statusCode },
        key: request.clientKey?.id,
        responseTime: Math.round(ms * 10) / 10,
      },
      'request completed',
    );
  });
}
