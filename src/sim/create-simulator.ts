import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { WxhubError } from '../errors/index.js';
import { redactUrl } from '../http/redact.js';
import type { Clock } from '../util/clock.js';
import { fixtureSchema, formatIssues } from './fixture-schema.js';
import { controlError } from './http/control-reply.js';
import { pathOf } from './http/params.js';
import { registerRawBodyParser } from './http/raw-body.js';
import { replyError } from './http/wechat-reply.js';
import { WECHAT_METHODS } from './http/wechat-route.js';
import { avatarRoutes } from './routes/avatars.js';
import { controlPlane } from './routes/control-plane.js';
import { customServiceRoutes } from './routes/custom-service.js';
import { authorizeRoutes } from './routes/oauth-authorize.js';
import { qrcodeRoutes } from './routes/qrcodes.js';
import { quotaRoutes } from './routes/quota.js';
import { snsRoutes } from './routes/sns.js';
import { stableTokenRoutes } from './routes/stable-token.js';
import { ticketRoutes } from './routes/tickets.js';
import { tokenRoutes } from './routes/token.js';
import { userRoutes } from './routes/users.js';
import { SimState } from './state/sim-state.js';
import type { SimFixture } from './types.js';

/** WeChat bodies are small; anything bigger is refused before it is read. */
export const BODY_LIMIT = 1024 * 1024;

export interface SimulatorOptions {
  /** Base clock (virtual time = this + the control plane's offset). Default: real time. */
  readonly clock?: Clock;
  /** Accounts and users to start with. Default (undefined or null): an empty simulator. */
  readonly fixture?: SimFixture | null;
  /** Fastify request logging (secrets in query strings redacted). Default false. */
  readonly logger?: boolean;
  /** Origin for generated avatar URLs, e.g. `http://127.0.0.1:9100`. Default: each request's own. */
  readonly baseUrl?: string;
  /** Dice for fault rates, for deterministic tests. Default Math.random. */
  readonly random?: () => number;
}

export interface Simulator {
  /** Not listening: call `app.inject()` or `app.listen()`. */
  readonly app: FastifyInstance;
  /** The simulated world, for in-process tests (the control plane is the stable contract). */
  readonly state: SimState;
}

function validateFixture(fixture: SimFixture | null | undefined): SimFixture | null {
  if (fixture === undefined || fixture === null) return null;
  const parsed = fixtureSchema.safeParse(fixture);
  if (!parsed.success) {
    throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', `simulator fixture: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * Builds the WeChat simulator: one Fastify app serving the API host's paths, the authorization
 * host's `/connect/oauth2/authorize` and `/connect/qrconnect`, mp.weixin.qq.com's
 * `/cgi-bin/showqrcode`, generated avatars and the `/__sim` control plane (which also pushes
 * messages and events to developers' servers, as WeChat does).
 * @see docs/simulator.md
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const state = new SimState({
    clock: options.clock,
    fixture: validateFixture(options.fixture),
    baseUrl: options.baseUrl,
    random: options.random,
  });

  const app = Fastify({
    logger: options.logger
      ? {
          level: 'info',
          serializers: {
            req: (req: { method: string; url: string }) => ({ method: req.method, url: redactUrl(req.url) }),
          },
        }
      : false,
    bodyLimit: BODY_LIMIT,
    // close() must not wait for keep-alive sockets or requests a hang fault holds.
    forceCloseConnections: true,
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      if (pathOf(request.url).startsWith('/__sim')) {
        return controlError(reply, 400, 'bad_request', error.message);
      }
      return replyError(state, reply, 40066, { status: 400, record: false });
    },
  });

  registerRawBodyParser(app);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const path = request.routeOptions.config?.wxPath;
    // Body errors happen before the route's hook, so the call is counted here.
    if (path && error.code?.startsWith('FST_ERR_CTP_')) state.stats.recordCall(path);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return replyError(state, reply, 47001, { status: 413 });
    if (error.code?.startsWith('FST_ERR_CTP_')) return replyError(state, reply, 47001);
    request.log.error({ err: error }, 'simulator failure');
    return replyError(state, reply, -1, { status: 500 });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    if (path === '/__sim' || path.startsWith('/__sim/')) {
      return controlError(reply, 404, 'not_found', `no control-plane route ${request.method} ${path}`);
    }
    const method = WECHAT_METHODS.get(path);
    if (method) {
      state.stats.recordCall(path);
      return replyError(state, reply, method === 'GET' ? 43001 : 43002);
    }
    return replyError(state, reply, 40066, { status: 404, record: false });
  });

  app.addHook('preClose', (done) => {
    state.releaseHeld();
    done();
  });

  for (const plugin of [
    tokenRoutes,
    stableTokenRoutes,
    userRoutes,
    ticketRoutes,
    quotaRoutes,
    snsRoutes,
    qrcodeRoutes,
    customServiceRoutes,
    authorizeRoutes,
    avatarRoutes,
  ]) {
    app.register(plugin, { sim: state });
  }
  app.register(controlPlane, { sim: state, prefix: '/__sim' });

  return { app, state };
}
