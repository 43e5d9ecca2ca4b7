import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SimState } from '../state/sim-state.js';
import { hasBody, jsonObject } from './raw-body.js';
import { replyError } from './wechat-reply.js';

/** The JSON object body of a POST API, or undefined after answering 44002 (empty) or 47001. */
export function requireJsonBody(
  sim: SimState,
  request: FastifyRequest,
  reply: FastifyReply,
): Record<string, unknown> | undefined {
  if (!hasBody(request.body)) {
    replyError(sim, reply, 44002);
    return undefined;
  }
  const body = jsonObject(request.body);
  if (!body) replyError(sim, reply, 47001);
  return body;
}

/** A non-empty string field of a JSON body, or undefined. */
export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
