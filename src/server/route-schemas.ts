import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { WxhubError } from '../errors/index.js';

/**
 * Route schemas are zod schemas (fastify-type-provider-zod): the one object a route declares
 * validates its params, query and body, checks and serializes its answers, and is what the
 * OpenAPI document shows (src/hub/openapi). A request that fails validation is a
 * `WXHUB_ERR_INVALID_ARGUMENT` whose message names each bad field (`stale_token: must not be empty`), the
 * shape `/v1` callers have always had. Call before registering routes: plugins inherit it.
 */
export function useZodSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setSchemaErrorFormatter(validationError);
}

/** Where a failed validation was: Fastify's `dataVar` as the message calls it. */
const PART: Readonly<Record<string, string>> = { querystring: 'query', body: 'body', params: 'params' };

/** The registry error for a failed validation: `field: why` for each problem, the field's dotted path. */
export function validationError(
  errors: readonly FastifySchemaValidationError[],
  dataVar: string,
): WxhubError {
  const part = PART[dataVar] ?? dataVar;
  const problems = errors.map((issue) => {
    const path = issue.instancePath.split('/').filter(Boolean).join('.');
    return `${path || part}: ${issue.message ?? 'is not valid'}`;
  });
  return new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', problems.join('; '));
}

/** The first field a failed validation names (`return_to`, `state`), or undefined for the whole part. */
export function invalidField(err: unknown): string | undefined {
  const validation = (err as { validation?: readonly FastifySchemaValidationError[] } | null)?.validation;
  const first = validation?.[0]?.instancePath.split('/').filter(Boolean)[0];
  return first || undefined;
}
