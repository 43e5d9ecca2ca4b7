import type { FastifyInstance } from 'fastify';

/**
 * Bodies of the plugin's routes are JSON only: without this, Fastify's built-in `text/plain`
 * parser hands a text body to validation, which answers 400 where the API promises 415 for a
 * body that is not `application/json`. Encapsulated: the drop-in proxy keeps its own parsers.
 */
export function jsonBodiesOnly(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
}
