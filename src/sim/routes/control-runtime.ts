import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { z } from 'zod';
import { beijingWallTime } from '../../wechat/quota-day.js';
import { faultSpecSchema } from '../faults.js';
import { controlError, parseBody } from '../http/control-reply.js';
import type { SimState } from '../state/sim-state.js';

const clockSchema = z
  .object({
    advanceSeconds: z
      .number()
      .min(0)
      .max(10 * 365 * 86_400),
  })
  .strict();
const resetSchema = z.object({ all: z.boolean().optional() }).strict();

/**
 * Control plane, the running world: `GET/POST /__sim/clock`, `POST/GET/DELETE /__sim/faults`,
 * `DELETE /__sim/faults/:id`, `GET /__sim/stats`, `POST /__sim/reset`.
 */
export const controlRuntimeRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  function clockView(reply: FastifyReply): FastifyReply {
    const now = sim.now();
    return reply.send({
      now,
      iso: new Date(now).toISOString(),
      shanghai: beijingWallTime(now),
      offsetSeconds: sim.clock.offsetMs / 1000,
    });
  }

  app.get('/clock', (_request, reply) => clockView(reply));

  app.post('/clock', (request, reply) => {
    const input = parseBody(clockSchema, request, reply);
    if (!input) return reply;
    sim.clock.advance(input.advanceSeconds);
    return clockView(reply);
  });

  app.post('/faults', (request, reply) => {
    const input = parseBody(faultSpecSchema, request, reply);
    if (!input) return reply;
    return reply.code(201).send({ id: sim.faults.add(input).id });
  });

  app.get('/faults', (_request, reply) => reply.send({ faults: sim.faults.list() }));

  app.delete('/faults', (_request, reply) => reply.send({ deleted: sim.faults.clear() }));

  app.delete<{ Params: { id: string } }>('/faults/:id', (request, reply) => {
    if (!sim.faults.remove(request.params.id)) {
      return controlError(reply, 404, 'not_found', `no fault ${request.params.id}`);
    }
    return reply.send({ deleted: 1 });
  });

  app.get('/stats', (_request, reply) => reply.send(sim.stats.snapshot()));

  app.post('/reset', (request, reply) => {
    const input = parseBody(resetSchema, request, reply);
    if (!input) return reply;
    if (input.all) sim.resetAll();
    else sim.resetStats();
    return reply.send({ reset: input.all ? 'all' : 'stats' });
  });

  done();
};
