import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { jsonResponse } from '../../server/index.js';

type Check = { ok: true } | { ok: false; reason: string };

const Readiness = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    reason: z.string().optional().meta({ description: 'The checks that failed (registry codes, no hosts).' }),
    checks: z.object({
      store: z.string().meta({ description: '`ok`, or why not' }),
      database: z.string().meta({ description: '`ok`, or why not' }),
      accounts: z.number().int().meta({ description: 'Accounts loaded' }),
    }),
  })
  .meta({ id: 'Readiness' });

const operations = { tags: ['operations'], security: [] };

/**
 * `GET /healthz`: the process answers (liveness). `GET /readyz`: the store and the database each
 * answered a probe within `readyTimeoutMs`, and the accounts are loaded: 200, else 503 naming
 * what failed (readiness: a load balancer stops sending traffic, nobody restarts the process).
 */
export const healthRoutes: FastifyPluginAsync = async (plain) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const hub = app.hub;

  app.get(
    '/healthz',
    {
      schema: {
        ...operations,
        operationId: 'healthz',
        summary: 'Liveness: the process answers',
        response: { 200: jsonResponse('Alive', z.object({ status: z.literal('ok') })) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const readyz = {
    ...operations,
    operationId: 'readyz',
    summary: 'Readiness: store and database reachable, accounts loaded',
    response: {
      200: jsonResponse('Ready', Readiness),
      503: jsonResponse('Not ready; `reason` names the failed check', Readiness),
    },
  };
  app.get('/readyz', { schema: readyz }, async (_request, reply) => {
    const [store, database] = await Promise.all([
      probe(() => hub.store.getCredential('wxhub:readyz'), hub.readyTimeoutMs),
      probe(() => hub.database.ping(), hub.readyTimeoutMs),
    ]);
    const accounts = hub.manager.appids().length;
    const checks = {
      store: store.ok ? 'ok' : store.reason,
      database: database.ok ? 'ok' : database.reason,
      accounts,
    };
    const failed = [
      store.ok ? null : `store: ${store.reason}`,
      database.ok ? null : `database: ${database.reason}`,
    ].filter((x): x is string => x !== null);
    if (failed.length > 0)
      return reply.code(503).send({ status: 'unavailable', reason: failed.join('; '), checks });
    return { status: 'ready' as const, checks };
  });
};

async function probe(run: () => Promise<unknown>, timeoutMs: number): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Check>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([
      run().then(
        (): Check => ({ ok: true }),
        (err: unknown): Check => ({ ok: false, reason: reasonOf(err) }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error's registry code when it has one (messages may name hosts; codes say enough). */
function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unreachable';
}
