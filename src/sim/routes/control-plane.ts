import type { FastifyPluginCallback } from 'fastify';
import { controlError } from '../http/control-reply.js';
import type { SimState } from '../state/sim-state.js';
import { controlAccountRoutes } from './control-accounts.js';
import { controlPushRoutes } from './control-push.js';
import { controlRuntimeRoutes } from './control-runtime.js';

/** What `GET /__sim` lists: every control-plane route. */
const INDEX = [
  'POST /__sim/accounts',
  'GET /__sim/accounts',
  'GET /__sim/accounts/:appid',
  'POST /__sim/accounts/:appid/users',
  'GET /__sim/accounts/:appid/users',
  'POST /__sim/accounts/:appid/invalidate-tokens',
  'POST /__sim/accounts/:appid/server',
  'POST /__sim/accounts/:appid/users/:openid/messages',
  'POST /__sim/accounts/:appid/users/:openid/events',
  'GET /__sim/accounts/:appid/users/:openid/inbox',
  'POST /__sim/qrcodes/:ticket/scan',
  'GET /__sim/clock',
  'POST /__sim/clock',
  'POST /__sim/faults',
  'GET /__sim/faults',
  'DELETE /__sim/faults',
  'DELETE /__sim/faults/:id',
  'GET /__sim/stats',
  'POST /__sim/reset',
];

/**
 * The control plane under `/__sim` (register with that prefix): JSON in, JSON out, errors as
 * `{error, message}` with 4xx statuses. Not part of WeChat, so never counted in the stats.
 */
export const controlPlane: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  app.setErrorHandler((error: { code?: string; statusCode?: number; message?: string }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return controlError(reply, 413, 'payload_too_large', 'the body is larger than this route accepts');
    }
    const status = error.statusCode ?? 500;
    if (status < 500) return controlError(reply, status, 'bad_request', error.message ?? 'bad request');
    request.log.error({ err: error }, 'control plane failure');
    return controlError(reply, 500, 'internal', 'internal error in the simulator');
  });

  app.get('/', (_request, reply) => reply.send({ name: 'wxhub WeChat simulator', routes: INDEX }));
  app.register(controlAccountRoutes, { sim });
  app.register(controlPushRoutes, { sim });
  app.register(controlRuntimeRoutes, { sim });
  done();
};
