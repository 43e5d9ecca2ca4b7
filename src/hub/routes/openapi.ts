import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { jsonResponse } from '../../server/index.js';

/**
 * `GET /openapi.json`: the hub's OpenAPI 3.1 document, made by @fastify/swagger from the route
 * schemas (src/hub/openapi/openapi-options.ts); also saved as docs/openapi.json.
 */
export const openapiRoutes: FastifyPluginAsync = async (app) => {
  let text: string | undefined;
  app.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'openapi',
        tags: ['operations'],
        summary: 'This document',
        security: [],
        response: { 200: jsonResponse('OpenAPI 3.1', z.looseObject({ openapi: z.string() })) },
      },
    },
    async (_request, reply) => {
      text ??= JSON.stringify(app.swagger());
      return reply.type('application/json; charset=utf-8').send(text);
    },
  );
};
