import { createServer } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerFactory,
  LogController,
} from 'fastify';
import { Agent, type Dispatcher } from 'undici';
import { accountRoutes } from '../accounts/account-routes.js';
import { openHubAccounts } from '../accounts/hub-accounts.js';
import { LocalTokenProvider } from '../client/local-token-provider.js';
import { type Config, type ConfigInput, parseConfig } from '../config/index.js';
import { type Database, openDatabase } from '../db/index.js';
import { LiveFollowers } from '../followers/live-followers.js';
import { peopleRoutes } from '../followers/people-routes.js';
import { callbackRoutes } from '../gateway/receive/callback-routes.js';
import { HttpClient } from '../http/index.js';
import { oauthContext } from '../oauth/oauth-context.js';
import { oauthRoutes } from '../oauth/oauth-routes.js';
import { FollowLogin, followLoginRoutes } from '../oidc/follow-login/index.js';
import type { FollowLoginPort } from '../oidc/login-routing.js';
import { oidcRoutes } from '../oidc/oidc-routes.js';
import { createOidcService } from '../oidc/oidc-service.js';
import { useZodSchemas } from '../server/route-schemas.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { TokenManager, type TokenManagerOptions } from '../tokens/index.js';
import { type Clock, systemClock } from '../util/clock.js';
import { prettyDestination } from '../util/logger.js';
import { hubDashboard } from '../web/dashboard/hub-dashboard.js';
import { SigningKeyRing } from './drop-in/signing-key-ring.js';
import { StandInTokens } from './drop-in/stand-in-tokens.js';
import { type HubGatewayTuning, openHubGateway } from './gateway/hub-gateway.js';
import { callbackFastLane, callbackOptions } from './http/callback-fast-lane.js';
import { installErrorReplies, sendError } from './http/error-replies.js';
import { proxyFastLane } from './http/proxy-fast-lane.js';
import { installRequestHooks, RequestLog } from './http/request-hooks.js';
import { type FastLane, tokenFastLane } from './http/token-fast-lane.js';
import { hubKeyGate } from './http/v1-auth.js';
import { createHubLogger } from './hub-logger.js';
import type { HubServices } from './hub-services.js';
import { ClientKeys } from './keys/client-keys.js';
import { HubMetrics } from './metrics/hub-metrics.js';
import { OPENAPI_OPTIONS } from './openapi/openapi-options.js';
import { RateLimiter } from './rate-limit/rate-limiter.js';
import { dropInProxyRoutes } from './routes/drop-in-proxy.js';
import { dropInTokenRoutes } from './routes/drop-in-token.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { openapiRoutes } from './routes/openapi.js';
import { v1AdminGatewayRoutes } from './routes/v1-admin-gateway.js';
import { v1CredentialRoutes } from './routes/v1-credentials.js';
import { v1EventRoutes } from './routes/v1-events.js';

export interface CreateHubOptions {
  /** The configuration: a parsed `Config` or the raw object of wxhub.config.json. */
  readonly config: Config | ConfigInput;
  /** Use this store instead of opening `config.store` (the hub then leaves it open on close). */
  readonly store?: Store;
  /** Use this database instead of opening `config.database` (left open on close). */
  readonly database?: Database;
  /** Decides token expiry, stand-in age and rate limits. Default: the system clock. */
  readonly clock?: Clock;
  /** The HTTP client to WeChat (tests pass one on a mock dispatcher). Left open on close. */
  readonly http?: HttpClient;
  /** A pino logger. Default: pino at `config.logging.level` on stdout. */
  readonly logger?: FastifyBaseLogger;
  /** Run the proactive refresh loop (`TokenManager.start()`). Default true. */
  readonly proactiveRefresh?: boolean;
  /** Time bound of each `/readyz` probe, ms. Default 1000. */
  readonly readyTimeoutMs?: number;
  /** Base directory for relative `sqlite:` paths. Default: the cwd. */
  readonly cwd?: string;
  /** How often runtime accounts are re-read from the database, ms. Default 2000. */
  readonly accountPollMs?: number;
  /** Token engine tuning (retry strategy, margins), over what the config says. */
  readonly tokens?: Partial<
    Omit<TokenManagerOptions, 'store' | 'accounts' | 'endpoints' | 'http' | 'clock' | 'logger'>
  >;
  /** Callback gateway tuning (delivery backoff, webhook dispatcher) over what the config says. */
  readonly gateway?: HubGatewayTuning;
  /** Follow-to-log-in for the OpenID Connect provider's desktop logins (default: the hub's own `services.followLogin`). */
  readonly followLogin?: FollowLoginPort;
}

/** A hub built by `createHub`: a Fastify app (not listening) and the services behind it. */
export interface Hub {
  readonly app: FastifyInstance;
  readonly manager: TokenManager;
  readonly database: Database;
  readonly store: Store;
  /** The services the route plugins share (`app.hub`), client keys included. */
  readonly services: HubServices;
  /** Every route registered, as `METHOD /url` (the OpenAPI test checks each is documented). */
  readonly routes: readonly string[];
  /** Stops refreshing, closes the app, and closes the store, database and HTTP client it opened. */
  close(): Promise<void>;
}

/** How often hubs re-read the drop-in signing keys another hub may have rotated, ms. */
const RING_RELOAD_MS = 60_000;

/**
 * Builds the hub: opens the store and database named by the config (unless given), loads the
 * accounts into a TokenManager, reads (or creates, once for the fleet) the drop-in signing key,
 * and registers each feature as a Fastify plugin. The app is returned ready but not listening
 * (`app.inject()` for tests; `startHub` listens).
 */
export async function createHub(options: CreateHubOptions): Promise<Hub> {
  const config = parseConfig(options.config);
  const clock = options.clock ?? systemClock;
  const logger =
    options.logger ??
    createHubLogger(
      config.logging.level,
      config.logging.format === 'pretty' ? prettyDestination() : undefined,
    );
  const cleanup: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };
  let built: FastifyInstance | undefined;
  try {
    const http =
      options.http ??
      new HttpClient({ timeoutMs: config.wechat.timeoutMs, connections: config.wechat.connections });
    if (!options.http) cleanup.push(() => http.close());
    // The drop-in proxy streams WeChat's answers (media of any size) through a pool of its own:
    // the token client's pool caps response bodies, which would cut a large download mid-stream.
    const proxyDispatcher: Dispatcher =
      options.http?.dispatcher ??
      new Agent({ keepAliveTimeout: 10_000, connections: config.wechat.connections, pipelining: 1 });
    if (!options.http) cleanup.push(() => proxyDispatcher.close());
    const store = options.store ?? openStore(config.store, { clock, cwd: options.cwd });
    if (!options.store) cleanup.push(() => store.close());
    const database = options.database ?? openDatabase(config.database, { cwd: options.cwd });
    if (!options.database) cleanup.push(() => database.close());

    // The config file's accounts and those added at run time (src/accounts), kept in step with the
    // token engine; rejects when stored appsecrets cannot be opened with the configured key.
    const accounts = await openHubAccounts({ config, database, logger, pollMs: options.accountPollMs });
    const manager = new TokenManager({
      ...options.tokens,
      store,
      http,
      clock,
      logger: logger.child({ component: 'tokens' }),
      endpoints: { api: config.wechat.apiBase, open: config.wechat.openBase },
      accounts: accounts.tokenSpecs(),
    });
    cleanup.push(() => manager.close());
    // Closed before the engine (cleanup runs in reverse): no change reaches a closing engine.
    cleanup.push(() => accounts.close());
    accounts.follow(manager);

    const ring = await SigningKeyRing.open(
      config.dropIn.signingKey
        ? { kind: 'config', current: config.dropIn.signingKey, previous: config.dropIn.previousSigningKeys }
        : { kind: 'database', database, clock },
    );
    const ringTimer = setInterval(() => void ring.reload(), RING_RELOAD_MS);
    ringTimer.unref();
    cleanup.push(async () => clearInterval(ringTimer));

    const keys = new ClientKeys(database, { clock });
    const limiter = new RateLimiter(config.rateLimit, clock);
    const metrics = new HubMetrics(manager, clock);
    // Built once, here: the login routes get it, and refreshProfile / syncFollowers find it on
    // the services (the login flow takes only what it uses, never the services themselves).
    const login = await oauthContext({
      store,
      database,
      clock,
      accounts: (appid) => accounts.registry.served(appid),
      tokens: new LocalTokenProvider(manager),
      http,
      logger,
      wechat: config.wechat,
      oauth: config.oauth,
      publicUrl: config.publicUrl,
      onUpstream: (event) => manager.reportUpstream(event),
    });
    const followLogin = new FollowLogin({
      store,
      clock,
      client: (appid) => login.client(appid),
      mpBase: config.wechat.mpBase,
      publicUrl: config.publicUrl,
      limiter,
      rateLimit: config.oauth.loginRateLimit,
      receivesPushes: (appid) => login.account(appid)?.callback !== undefined,
      logger: logger.child({ component: 'follow-login' }),
    });
    const gateway = openHubGateway({
      ...options.gateway,
      config,
      store,
      database,
      clock,
      logger: logger.child({ component: 'gateway' }),
      login,
      onDelivery: (outcome) => metrics.gateway.delivery(outcome),
    });
    metrics.gateway.watch(gateway.gateway);
    // Pushed after the store's close, so it runs before it: workers stop, then the store goes.
    cleanup.push(() => gateway.close());
    // subscribe / unsubscribe / SCAN change the follower state at once (the people API, the login).
    const followers = new LiveFollowers(database, clock, logger.child({ component: 'followers' }));
    gateway.events.on(async (event) => {
      await followers.apply(event);
    });
    // A QR scan's subscribe/SCAN push completes its follow-to-log-in (written to the shared store).
    gateway.events.on(async (event) => {
      await followLogin.observe(event);
    });
    // The OpenID Connect provider, when the hub has a publicUrl (its issuer): docs/oidc.md.
    const oidc = await createOidcService({
      config,
      store,
      database,
      clock,
      logger: logger.child({ component: 'oidc' }),
      login,
      followLogin: options.followLogin ?? followLogin,
    });
    if (oidc) cleanup.push(async () => oidc.close());
    const services: HubServices = {
      config,
      manager,
      accounts: accounts.registry,
      store,
      database,
      http,
      proxyDispatcher,
      clock,
      keys,
      gate: hubKeyGate({ keys, manager, limiter, metrics }),
      login,
      followLogin,
      ...(oidc ? { oidc } : {}),
      standIns: new StandInTokens(ring, clock),
      limiter,
      metrics,
      readyTimeoutMs: options.readyTimeoutMs ?? 1000,
      gateway,
      events: gateway.events,
    };

    const routes: string[] = [];
    const app = buildApp(services, logger, routes);
    // The app owns the cleanup: app.close() (or hub.close()) releases everything opened here.
    app.addHook('onClose', async () => closeAll());
    built = app;
    await app.ready();
    if (options.proactiveRefresh !== false) manager.start();
    accounts.registry.start();
    await gateway.start();
    if (accounts.registry.list().length === 0)
      logger.warn({}, 'no accounts configured: the hub has nothing to serve');
    return { app, manager, database, store, services, routes, close: () => app.close() };
  } catch (err) {
    if (built) await built.close().catch(() => undefined);
    await closeAll();
    throw err;
  }
}

function buildApp(services: HubServices, logger: FastifyBaseLogger, routes: string[]): FastifyInstance {
  let closing = false;
  const requests = new RequestLog(services, logger);
  // An access line per request (`logging.requests: all`) costs what the lanes save and more.
  const lanes =
    services.config.logging.requests === 'all' ? null : fastLanes(services, requests, () => closing);
  const app = Fastify({
    ...(lanes && { serverFactory: laneServer(lanes) }),
    loggerInstance: logger,
    // Fastify's own request lines would log raw URLs; installRequestHooks logs redacted ones.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: services.config.trustProxy,
    return503OnClosing: true,
    frameworkErrors: (err, request, reply) => {
      sendError(request, reply, err);
    },
  });
  app.decorate('hub', services);
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
  });
  installRequestHooks(app, requests);
  installErrorReplies(app);
  useZodSchemas(app);
  // First: it collects every route registered after it into the OpenAPI document.
  app.register(fastifySwagger, OPENAPI_OPTIONS);
  app.register(healthRoutes);
  app.register(metricsRoutes);
  app.register(openapiRoutes);
  app.register(v1CredentialRoutes);
  app.register(peopleRoutes);
  app.register(accountRoutes);
  app.register(v1EventRoutes);
  app.register(v1AdminGatewayRoutes);
  app.register(dropInTokenRoutes);
  app.register(dropInProxyRoutes);
  app.register(oauthRoutes, { login: services.login, gate: services.gate, limiter: services.limiter });
  app.register(followLoginRoutes, {
    follow: services.followLogin,
    accountName: (appid) => services.login.account(appid)?.name,
    publicUrl: services.config.publicUrl,
  });
  if (services.oidc) app.register(oidcRoutes, { oidc: services.oidc, limiter: services.limiter });
  app.register(hubDashboard);
  // WeChat's push URL: no client key (WeChat signs its pushes), XML bodies, outside the fast lanes.
  app.register(callbackRoutes, callbackOptions(services));
  return app;
}

/** The token lane, the proxy lane, WeChat's pushes: each declines at once what is not its own. */
function fastLanes(services: HubServices, requests: RequestLog, closing: () => boolean): FastLane {
  const token = tokenFastLane(services, requests, closing);
  const proxy = proxyFastLane(services, requests, closing);
  const callback = callbackFastLane(services, requests, closing);
  return (req, res) => token(req, res) || proxy(req, res) || callback(req, res);
}

/** A node:http server (as Fastify would make it) that offers each request to the lanes first. */
function laneServer(lane: FastLane): FastifyServerFactory {
  return (handler, options) => {
    const timeouts = options as {
      keepAliveTimeout?: number;
      requestTimeout?: number;
      connectionTimeout?: number;
    };
    const server = createServer((req, res) => {
      if (!lane(req, res)) handler(req, res);
    });
    server.keepAliveTimeout = timeouts.keepAliveTimeout ?? 72_000;
    server.requestTimeout = timeouts.requestTimeout ?? 0;
    server.setTimeout(timeouts.connectionTimeout ?? 0);
    return server;
  };
}
