import type { Dispatcher } from 'undici';
import type { AccountRegistry } from '../accounts/account-registry.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { HttpClient } from '../http/index.js';
import type { OAuthContext } from '../oauth/oauth-context.js';
import type { KeyGate } from '../server/key-gate.js';
import type { Store } from '../store/store.js';
import type { TokenManager } from '../tokens/index.js';
import type { Clock } from '../util/clock.js';
import type { StandInTokens } from './drop-in/stand-in-tokens.js';
import type { HubGateway } from './gateway/hub-gateway.js';
import type { PushListeners } from './gateway/push-listeners.js';
import type { ClientKeys } from './keys/client-keys.js';
import type { HubMetrics } from './metrics/hub-metrics.js';
import type { RateLimiter } from './rate-limit/rate-limiter.js';

/**
 * What every route plugin shares, decorated once on the root instance as `app.hub`: route
 * plugins reach services only through it, so the list of shared state is this interface.
 */
export interface HubServices {
  readonly config: Config;
  readonly manager: TokenManager;
  /** The accounts served: the configuration file's and those added at run time (src/accounts). */
  readonly accounts: AccountRegistry;
  readonly store: Store;
  readonly database: Database;
  readonly keys: ClientKeys;
  /** The `onRequest` hook of a route that needs a client key with a scope (src/server/key-gate.ts). */
  readonly gate: KeyGate;
  /** The web login's context: its store, database, accounts and WeChat clients. */
  readonly login: OAuthContext;
  readonly standIns: StandInTokens;
  readonly limiter: RateLimiter;
  readonly metrics: HubMetrics;
  readonly http: HttpClient;
  /** Where the drop-in proxy sends WeChat calls: no response size cap, it streams media. */
  readonly proxyDispatcher: Dispatcher;
  readonly clock: Clock;
  /** Bounds each readiness probe of the store and database, ms. */
  readonly readyTimeoutMs: number;
  /** The callback gateway: `/callback/:appid`, its event log, delivery workers and subscribers. */
  readonly gateway: HubGateway;
  /**
   * Where parts that follow pushes hook in: `events.on((event) => ...)` is told of each new push
   * once it is logged; a listener's failure never touches WeChat's answer.
   */
  readonly events: PushListeners;
}

declare module 'fastify' {
  interface FastifyInstance {
    hub: HubServices;
  }
}
