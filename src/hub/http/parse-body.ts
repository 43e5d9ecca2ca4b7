import type { z } from 'zod';
import { WxhubError } from '../../errors/index.js';

/** Parses a request part with a zod schema; a failure is a 400 that names each bad field. */
export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: 'body' | 'query',
): z.output<T> {
  const parsed = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.join('.') : where;
    return `${path}: ${issue.message}`;
  });
  throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', problems.join('; '));
}
