import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_PULL_WAIT_SECONDS, pullEvents } from '../../gateway/pull/pull-events.js';
import { AppidParams, errorResponses, jsonResponse } from '../../server/index.js';
import { PushEventSchema } from './push-event-schema.js';

/** The largest page of the pull API. */
export const MAX_PULL_LIMIT = 1000;

const EventPage = z
  .object({
    events: z.array(PushEventSchema),
    next: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `after` next time (the last event returned, or `after` again).' }),
  })
  .meta({ id: 'EventPage' });

/**
 * `GET /v1/accounts/:appid/events`: the pull API for consumers that cannot take webhooks (behind
 * a firewall): the account's events after a cursor, long-polled. Reads the event log every hub
 * of the fleet writes, so any hub answers; a wait ends early when the hub closes.
 */
export const v1EventRoutes: FastifyPluginAsync = async (plain) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { gate, gateway } = app.hub;
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());

  app.get(
    '/v1/accounts/:appid/events',
    {
      onRequest: gate('events'),
      schema: {
        operationId: 'pullEvents',
        tags: ['v1'],
        summary: "An account's pushes after a cursor, long-polled (scope `events`)",
        description: `Events oldest first, as webhooks get them. Start without \`after\` (the oldest event kept, \`gateway.retentionDays\`), then pass \`next\`. With \`wait\`, an empty answer waits up to that many seconds (at most ${MAX_PULL_WAIT_SECONDS}) for a push. At least once: a consumer that loses its cursor reads again from an older one.`,
        params: AppidParams,
        querystring: z.object({
          after: z
            .string()
            .min(1, 'must not be empty')
            .max(64, 'must be at most 64 characters')
            .optional()
            .meta({ description: 'The `next` of the previous page.' }),
          limit: z.coerce
            .number({ error: 'must be a number' })
            .int('must be an integer')
            .min(1, 'must be at least 1')
            .max(MAX_PULL_LIMIT, `must be at most ${MAX_PULL_LIMIT}`)
            .default(100)
            .meta({ examples: [100] }),
          wait: z.coerce
            .number({ error: 'must be a number' })
            .min(0, 'must be at least 0')
            .max(MAX_PULL_WAIT_SECONDS, `must be at most ${MAX_PULL_WAIT_SECONDS}`)
            .default(0)
            .meta({ description: 'Seconds to wait when there is nothing new.', examples: [0] }),
        }),
        response: {
          200: jsonResponse('A page of events', EventPage),
          ...errorResponses([400, 401, 403, 404, 429, 503], {
            400: 'A bad query, or `after` is not a cursor of this hub (`WXHUB_ERR_INVALID_ARGUMENT`)',
          }),
        },
      },
    },
    async (request, reply) => {
      const { after, limit, wait } = request.query;
      const abort = new AbortController();
      const stop = () => abort.abort();
      closing.signal.addEventListener('abort', stop);
      // The response's `close` before it was sent: the caller hung up, so the wait is for nobody.
      reply.raw.once('close', stop);
      try {
        return await pullEvents(gateway.log, {
          appid: request.params.appid,
          after: after ?? null,
          limit,
          waitMs: wait * 1000,
          signal: abort.signal,
        });
      } finally {
        closing.signal.removeEventListener('abort', stop);
        reply.raw.off('close', stop);
      }
    },
  );
};
