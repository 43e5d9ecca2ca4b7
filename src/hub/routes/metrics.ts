import type { FastifyPluginAsync } from 'fastify';

/** `GET /metrics`: Prometheus text from the hub's own registry (see HubMetrics for the series). */
export const metricsRoutes: FastifyPluginAsync = async (app) => {
  const { registry } = app.hub.metrics;
  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
};
