import { z } from 'zod';

/** The `:appid` of a route: an account the hub serves (any other is answered 404). */
export const AppidParams = z.object({
  appid: z.string().meta({
    description: 'The Official Account appid, as configured in the hub.',
    examples: ['wx1234567890abcdef'],
  }),
});

/** The error body of every JSON answer that is not WeChat-shaped. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'A stable `WXHUB_ERR_*` code (docs/errors.md).' }),
      message: z.string(),
      errcode: z
        .number()
        .int()
        .optional()
        .meta({ description: "WeChat's errcode, when the error stands for one." }),
    }),
  })
  .meta({ id: 'Error' });

const WHEN: Readonly<Record<number, string>> = {
  400: 'Bad body or query (`WXHUB_ERR_INVALID_ARGUMENT`, the message names the field)',
  401: 'Missing, unknown, wrong or revoked client key (`WXHUB_ERR_UNAUTHORIZED`)',
  403: 'The key lacks the scope or the appid (`WXHUB_ERR_FORBIDDEN`)',
  404: 'No such account (`WXHUB_ERR_UNKNOWN_ACCOUNT`)',
  413: 'Body over the size cap (`WXHUB_ERR_PAYLOAD_TOO_LARGE`)',
  415: 'Body not `application/json` (`WXHUB_ERR_UNSUPPORTED_MEDIA_TYPE`)',
  429: 'Over the key rate limit (`WXHUB_ERR_RATE_LIMITED`), see `Retry-After`',
  503: 'No token could be obtained (`WXHUB_ERR_ACCOUNT_DISABLED`, `WXHUB_ERR_QUOTA_EXHAUSTED`, `WXHUB_ERR_REFRESH_FAILED`, ...)',
};

/** A JSON response of a route schema: its description and body schema. */
export function jsonResponse<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { 'application/json': { schema } } };
}

/**
 * The error answers of a keyed JSON route, by status, for its route schema (`response`); `when`
 * overrides the standard description of a status.
 */
export function errorResponses(statuses: readonly number[], when: Readonly<Record<number, string>> = {}) {
  return Object.fromEntries(
    statuses.map((status) => [status, jsonResponse(when[status] ?? WHEN[status] ?? 'Error', ErrorBody)]),
  );
}
