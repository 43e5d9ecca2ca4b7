import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type SubscriberConfig, subscriberSchema } from '../../config/gateway-schema.js';
import { WxhubError } from '../../errors/index.js';
import { MAX_REPLAY } from '../../gateway/deliver/replay.js';
import { newWebhookSecret, webhookKey } from '../../gateway/deliver/webhook-signature.js';
import { errorResponses, jsonBodiesOnly, jsonResponse } from '../../server/index.js';
import type { ListedSubscriber } from '../gateway/subscriber-sync.js';
import { PushEventSchema } from './push-event-schema.js';

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const name = z
  .string({ error: 'is required' })
  .regex(NAME, 'must be 1-64 of [A-Za-z0-9_-]')
  .meta({ examples: ['crm'] });

const Filter = z.object({
  msgTypes: z
    .array(z.string())
    .optional()
    .meta({ examples: [['text', 'event']] }),
  events: z
    .array(z.string())
    .optional()
    .meta({ examples: [['subscribe', 'SCAN']] }),
});

const Subscriber = z
  .object({
    name: z.string(),
    kind: z.enum(['webhook', 'amqp', 'nats']),
    target: z.string().meta({ description: 'Where it delivers, without credentials.' }),
    appids: z.array(z.string()).optional(),
    filter: Filter,
    source: z
      .enum(['config', 'api'])
      .meta({ description: '`config` ones are changed in the configuration file.' }),
    created_at: z.number().int().optional().meta({ description: 'Epoch seconds (runtime subscribers).' }),
  })
  .meta({ id: 'Subscriber' });

const NewSubscriber = z.object(
  {
    name,
    url: z
      .string()
      .max(2048, 'must be at most 2048 characters')
      .optional()
      .meta({
        format: 'uri',
        description: 'A webhook: POSTed the event JSON, Standard Webhooks signed.',
        examples: ['https://crm.example.com/wechat'],
      }),
    secret: z
      .string()
      .optional()
      .meta({ description: "A webhook's `whsec_` secret; absent: one is generated and answered once." }),
    amqp: z.string().optional().meta({ description: 'A RabbitMQ sink: `amqp://` URL (with `exchange`).' }),
    exchange: z.string().optional(),
    nats: z
      .string()
      .optional()
      .meta({ description: 'A NATS JetStream sink: `nats://` URL (with `subject`).' }),
    subject: z.string().optional(),
    appids: z.array(z.string()).optional().meta({ description: 'Only these accounts; absent: all.' }),
    filter: Filter.optional(),
  },
  { error: 'must be a JSON object' },
);

const DeadLetter = z
  .object({
    consumer: z.string(),
    event: PushEventSchema,
    error: z.string().meta({ description: 'The last failure, without credentials.' }),
    attempts: z.number().int(),
    at: z.number().int().meta({ description: 'Epoch seconds it became a dead letter.' }),
  })
  .meta({ id: 'DeadLetter' });

const seconds = (ms: number) => Math.floor(ms / 1000);

function listed(subscriber: ListedSubscriber) {
  const { created_at, appids, ...rest } = subscriber;
  return {
    ...rest,
    ...(appids ? { appids: [...appids] } : {}),
    ...(created_at === undefined ? {} : { created_at: seconds(created_at) }),
  };
}

/** The API body as a subscriber configuration: the config file's schema, a secret made when absent. */
function toConfig(body: z.output<typeof NewSubscriber>): { config: SubscriberConfig; generated?: string } {
  const generated = body.url !== undefined && body.secret === undefined ? newWebhookSecret() : undefined;
  const parsed = subscriberSchema.safeParse({ ...body, ...(generated ? { secret: generated } : {}) });
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new WxhubError(
      'WXHUB_ERR_INVALID_ARGUMENT',
      `a subscriber is a webhook (url, secret?), a RabbitMQ sink (amqp, exchange) or a NATS sink (nats, subject): ${why}`,
    );
  }
  if ('url' in parsed.data) {
    try {
      webhookKey(parsed.data.secret, parsed.data.name);
    } catch (err) {
      // The config's wording (INVALID_CONFIG, a 500) is the caller's mistake here.
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', (err as Error).message);
    }
  }
  return { config: parsed.data, ...(generated ? { generated } : {}) };
}

/**
 * The callback gateway's operator API (scope `admin`): subscribers registered at runtime (kept
 * in the database, picked up by every hub of the fleet within seconds; configured ones are
 * listed, read-only) and the dead letters of each subscriber, with replay.
 */
export const v1AdminGatewayRoutes: FastifyPluginAsync = async (plain) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { gate, gateway } = app.hub;
  jsonBodiesOnly(app);

  app.get(
    '/v1/admin/subscribers',
    {
      onRequest: gate('admin'),
      schema: {
        operationId: 'listSubscribers',
        tags: ['v1'],
        summary: 'Subscribers of the callback gateway, configured and runtime (scope `admin`)',
        description: 'Secrets and URL credentials are never shown.',
        response: {
          200: jsonResponse('The subscribers', z.object({ subscribers: z.array(Subscriber) })),
          ...errorResponses([401, 403, 429, 503]),
        },
      },
    },
    async () => ({ subscribers: (await gateway.subscribers.list()).map(listed) }),
  );

  app.post(
    '/v1/admin/subscribers',
    {
      onRequest: gate('admin'),
      schema: {
        operationId: 'addSubscriber',
        tags: ['v1'],
        summary: 'Register a subscriber at runtime (scope `admin`)',
        description:
          'Every hub of the fleet delivers to it within seconds. It gets the events logged from now on, not the retained backlog (the pull API reads that). A webhook without `secret` gets one generated, answered here once.',
        body: NewSubscriber,
        response: {
          201: jsonResponse(
            'Registered',
            z.object({
              subscriber: Subscriber,
              secret: z
                .string()
                .optional()
                .meta({ description: 'The generated `whsec_` secret, shown once.' }),
            }),
          ),
          ...errorResponses([400, 401, 403, 409, 413, 415, 429, 503], {
            409: 'The name is taken (`WXHUB_ERR_SUBSCRIBER_EXISTS`)',
          }),
        },
      },
    },
    async (request, reply) => {
      const { config, generated } = toConfig(request.body);
      const stored = await gateway.subscribers.add(config);
      const { sealed: _sealed, ...view } = stored;
      return reply.code(201).send({
        subscriber: listed({ ...view, source: 'api' }),
        ...(generated ? { secret: generated } : {}),
      });
    },
  );

  app.delete(
    '/v1/admin/subscribers/:name',
    {
      onRequest: gate('admin'),
      schema: {
        operationId: 'removeSubscriber',
        tags: ['v1'],
        summary: 'Unregister a runtime subscriber (scope `admin`)',
        description: 'Deliveries in flight finish; its dead letters stay readable.',
        params: z.object({ name }),
        response: {
          204: z.null().meta({ description: 'Removed' }),
          ...errorResponses([400, 401, 403, 404, 409, 429, 503], {
            404: 'No such subscriber (`WXHUB_ERR_UNKNOWN_SUBSCRIBER`)',
            409: 'A configured subscriber (`WXHUB_ERR_SUBSCRIBER_READ_ONLY`)',
          }),
        },
      },
    },
    async (request, reply) => {
      await gateway.subscribers.remove(request.params.name);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/admin/dead-letters',
    {
      onRequest: gate('admin'),
      schema: {
        operationId: 'listDeadLetters',
        tags: ['v1'],
        summary: "A subscriber's dead letters, oldest first (scope `admin`)",
        querystring: z.object({
          consumer: name.meta({ description: 'The subscriber (or sink) name.', examples: ['crm'] }),
          limit: z.coerce
            .number({ error: 'must be a number' })
            .int('must be an integer')
            .min(1, 'must be at least 1')
            .max(MAX_REPLAY, `must be at most ${MAX_REPLAY}`)
            .default(100),
        }),
        response: {
          200: jsonResponse('The dead letters', z.object({ dead_letters: z.array(DeadLetter) })),
          ...errorResponses([400, 401, 403, 429, 503]),
        },
      },
    },
    async (request) => {
      const letters = await gateway.log.deadLetters(request.query.consumer, request.query.limit);
      return { dead_letters: letters.map((l) => ({ ...l, at: seconds(l.at) })) };
    },
  );

  app.post(
    '/v1/admin/dead-letters/replay',
    {
      onRequest: gate('admin'),
      schema: {
        operationId: 'replayDeadLetters',
        tags: ['v1'],
        summary: "Deliver a subscriber's dead letters again (scope `admin`)",
        description: `Oldest first, at most ${MAX_REPLAY}; a delivered letter is removed, one that fails again stays.`,
        body: z.object(
          {
            consumer: name,
            event_ids: z
              .array(z.string().max(64, 'must be at most 64 characters'))
              .max(MAX_REPLAY)
              .optional()
              .meta({ description: 'Only these events; absent: all.' }),
          },
          { error: 'must be a JSON object' },
        ),
        response: {
          200: jsonResponse(
            'The outcome',
            z.object({ replayed: z.number().int(), failed: z.number().int() }),
          ),
          ...errorResponses([400, 401, 403, 404, 413, 415, 429, 503], {
            404: 'No such subscriber (`WXHUB_ERR_UNKNOWN_SUBSCRIBER`)',
          }),
        },
      },
    },
    async (request) =>
      gateway.gateway.replay(request.body.consumer, {
        ...(request.body.event_ids ? { eventIds: request.body.event_ids } : {}),
      }),
  );
};
