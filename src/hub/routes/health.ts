import type { FastifyPluginAsync } from 'fastify';

type Check = { ok: true } | { ok: false; reason: string };

/**
 * `GET /healthz`: the process answers (liveness). `GET /readyz`: the store and the database each
 * answered a probe within `readyTimeoutMs`, and the accounts are loaded: 200, else 503 naming
 * what failed (readiness: a load balancer stops sending traffic, nobody restarts the process).
 */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const hub = app.hub;

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
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
    return { status: 'ready', checks };
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
