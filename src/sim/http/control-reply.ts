import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { formatIssues, formatPath } from '../fixture-schema.js';
import type { RawBody } from './raw-body.js';

/** A control-plane error: `{error, message}` with a 4xx/5xx status (these are not WeChat's). */
export function controlError(
  reply: FastifyReply,
  status: number,
  error: string,
  message: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ error, message, ...extra });
}

/**
 * The request's JSON body validated by a schema; on failure answers 400 naming every bad field
 * (`{error:"invalid_request", message:"rate: Too big: expected number to be <=1", issues:[...]}`)
 * and returns undefined. An empty body reads as `{}`.
 */
export function parseBody<T>(
  schema: z.ZodType<T>,
  request: FastifyRequest,
  reply: FastifyReply,
): T | undefined {
  const raw = request.body as RawBody | undefined;
  let value: unknown = {};
  if (raw && raw.text.trim() !== '') {
    if (raw.json === undefined) {
      controlError(reply, 400, 'invalid_json', 'the body is not valid JSON');
      return undefined;
    }
    value = raw.json;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    controlError(reply, 400, 'invalid_request', formatIssues(parsed.error), {
      issues: parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    });
    return undefined;
  }
  return parsed.data;
}
