import type { FastifyReply, FastifyRequest } from 'fastify';

/** `http://host:port` as the browser addressed this server (what `return_to` must start with). */
export function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** True when the client reads HTML (a browser navigation), false for API clients and curl. */
export function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/** Sends a page with the headers every page carries. */
export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

/** A 303 to `location` (after a POST, and to drop a ticket from the address bar). */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).send();
}
