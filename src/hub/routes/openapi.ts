import type { FastifyPluginAsync } from 'fastify';
import { OPENAPI_DOCUMENT } from '../openapi/openapi-document.js';

/** `GET /openapi.json`: the hub's OpenAPI 3.1 document (also saved as docs/openapi.json). */
export const openapiRoutes: FastifyPluginAsync = async (app) => {
  const text = JSON.stringify(OPENAPI_DOCUMENT);
  app.get('/openapi.json', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(text),
  );
};
