import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import pino from 'pino';
import { openDatabase } from '../../db/index.js';
import { HttpClient } from '../../http/index.js';
import { createHub, type Hub } from '../../hub/create-hub.js';
import { GENERATED_KEY_SETTING } from '../../oauth/oauth-context.js';
import { DEMO_ACCOUNTS } from '../../sim/demo-fixture.js';
import { type RunningSimulator, startSimulator } from '../../sim/start-simulator.js';
import { listenError } from '../../util/listen-error.js';
import { TOKEN_INVALID_ERRCODES } from '../../wechat/errcodes.js';
import { PATHS } from '../../wechat/paths.js';
import type { ActivityLog } from '../activity/activity-log.js';
import { databaseFollowers } from '../admin/followers-source.js';
import { OIDC_SITE_PATH } from '../demo-oidc-site/demo-oidc-pages.js';
import { OidcRelyingParty } from '../demo-oidc-site/oidc-relying-party.js';
import { httpTicketRedeemer } from '../demo-site/ticket-redeemer.js';
import { sessionSecret } from '../http/session-secret.js';
import { ValueSigner } from '../http/signed-value.js';
import { isWebPath, webFrameworkErrors, webRoutes } from '../web-routes.js';
import { DEMO_CALLBACK, DEMO_DATABASE, DEMO_OIDC_CLIENT, demoConfig, demoFixture } from './demo-config.js';
import { type DemoKeys, demoKeys } from './demo-keys.js';

export interface StartDemoOptions {
  /** The hub and pages; default 3000, 0 = any free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The simulator's port; default `port + 1` (0 when `port` is 0). */
  readonly simulatorPort?: number;
  /** Base of the relative `.wxhub/` path; default the cwd. */
  readonly cwd?: string;
  /** `sqlite:PATH` (relative to `cwd`) or `memory:`; default `sqlite:.wxhub/demo.db`. */
  readonly database?: string;
  /** Default: warnings and errors as JSON lines on stderr. */
  readonly logger?: FastifyBaseLogger;
  /** Sync each account's followers once at start. Default true. */
  readonly syncFollowersAtStart?: boolean;
}

/** A running demo: what `wxhub demo` prints, and the parts, for tests. */
export interface RunningDemo extends DemoKeys {
  /** The demo site, the dashboard (`/admin`) and the hub API, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly simulatorUrl: string;
  readonly hub: Hub;
  readonly web: FastifyInstance;
  readonly sim: RunningSimulator;
  readonly activity: ActivityLog;
  /** Resolves when the start-up chores (token check, follower sync) are done. */
  readonly warmedUp: Promise<void>;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function shownHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * After a restart the store still holds the previous run's tokens, but the simulator is new and
 * has never issued them: check each with one call and refresh-if-current the ones it refuses.
 */
async function reviveTokens(hub: Hub, http: HttpClient, simulatorUrl: string): Promise<void> {
  for (const appid of hub.manager.appids()) {
    const token = await hub.manager.getAccessToken(appid);
    const probe = await http.json('GET', `${simulatorUrl}${PATHS.userList}`, {
      query: { access_token: token.value },
    });
    const errcode = probe.body.errcode;
    if (typeof errcode === 'number' && TOKEN_INVALID_ERRCODES.has(errcode)) {
      await hub.manager.refreshAccessToken(appid, token.value);
    }
  }
}

/**
 * Makes the hub each demo account's server URL in the simulator (WeChat's URL check runs against
 * the demo's own port), so the simulator pushes messages and events, QR scans included, to it.
 */
async function registerPushUrls(
  http: HttpClient,
  simulatorUrl: string,
  url: string,
  logger: FastifyBaseLogger,
): Promise<void> {
  for (const { appid } of DEMO_ACCOUNTS) {
    const res = await http
      .json('POST', `${simulatorUrl}/__sim/accounts/${appid}/server`, {
        json: { url: `${url}/callback/${appid}`, ...DEMO_CALLBACK },
      })
      .catch((err: unknown) => ({ status: 0, body: { message: String(err) } }));
    if (res.status !== 200)
      logger.warn({ appid, status: res.status }, 'demo: the simulator refused the push URL');
  }
}

/**
 * `wxhub demo` in process: the WeChat simulator (demo fixture) on `port + 1`, and on `port` one
 * HTTP server for the hub and the pages. The hub is built by `createHub` unchanged; the pages are
 * a second Fastify app, and the server hands each request to one of the two by path (`/`,
 * `/profile`, `/logout`, `/admin…`, `/assets/…` to the pages, everything else to the hub), so
 * the hub's own routes (and its OpenAPI document) stay exactly the hub's.
 */
export async function startDemo(options: StartDemoOptions = {}): Promise<RunningDemo> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 3000;
  const simulatorPort = options.simulatorPort ?? (port === 0 ? 0 : port + 1);
  const cwd = options.cwd ?? process.cwd();
  const database = options.database ?? DEMO_DATABASE;
  const logger = options.logger ?? pino({ level: 'warn' }, pino.destination({ dest: 2, sync: true }));
  if (database.startsWith('sqlite:')) {
    const file = database.slice('sqlite:'.length);
    mkdirSync(join(isAbsolute(file) ? file : join(cwd, file), '..'), { recursive: true });
  }

  const cleanup: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' });
      res.end('wxhub demo is starting\n');
    };
    const server = createServer((req, res) => handler(req, res));
    server.keepAliveTimeout = 5000;
    let actualPort: number;
    try {
      actualPort = await listen(server, port, host);
    } catch (err) {
      throw listenError(err, host, port, '--port', 'the demo site and hub');
    }
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );

    let sim: RunningSimulator;
    try {
      sim = await startSimulator({ port: simulatorPort, host, fixture: demoFixture(host) });
    } catch (err) {
      throw listenError(err, host, simulatorPort, '--port', 'the simulator, on --port + 1');
    }
    cleanup.push(() => sim.close());

    const db = openDatabase(database, { cwd });
    cleanup.push(() => db.close());
    // The key an unconfigured hub would generate into the same setting, passed as configuration:
    // the same key, without the warning a demo user could not act on (docs/web.md).
    const encryptionKey = await db.settings.putIfAbsent(
      GENERATED_KEY_SETTING,
      randomBytes(32).toString('base64url'),
    );
    const url = `http://${shownHost(host)}:${actualPort}`;
    const hub = await createHub({
      config: demoConfig({
        simulatorUrl: sim.url,
        host,
        port: actualPort,
        database,
        encryptionKey,
        publicUrl: url,
      }),
      database: db,
      cwd,
      logger: logger.child({ component: 'hub' }),
    });
    cleanup.push(() => hub.close());
    // The hub's own dashboard state: the pages below draw it with the demo's links added.
    const { activity, followerSync } = hub.app.dashboard;

    const keys = await demoKeys(
      hub.services,
      DEMO_ACCOUNTS.map((a) => a.appid),
    );
    const signer = new ValueSigner(await sessionSecret(hub.services));
    const http = new HttpClient({ timeoutMs: 5000 });
    cleanup.push(() => http.close());
    const followers = databaseFollowers(hub.database);

    const web = Fastify({
      loggerInstance: logger.child({ component: 'web' }),
      logController: new LogController({ disableRequestLogging: true }),
      frameworkErrors: webFrameworkErrors,
    });
    await web.register(webRoutes, {
      services: hub.services,
      activity,
      signer,
      followers,
      sync: followerSync,
      simulatorUrl: sim.url,
      demo: {
        accounts: DEMO_ACCOUNTS.map((a) => ({ appid: a.appid, name: a.name })),
        redeem: httpTicketRedeemer({ http, hubUrl: url, key: keys.oauthKey }),
        oidc: {
          rp: new OidcRelyingParty({
            issuer: `${url}/oidc`,
            clientId: DEMO_OIDC_CLIENT,
            redirectUri: `${url}${OIDC_SITE_PATH}/callback`,
          }),
          origin: url,
        },
      },
    });
    await web.ready();
    cleanup.push(() => web.close());

    handler = (req, res) => (isWebPath(req.url ?? '/') ? web : hub.app).routing(req, res);
    await registerPushUrls(http, sim.url, url, logger);

    const warmedUp = (async () => {
      try {
        await reviveTokens(hub, http, sim.url);
        if (options.syncFollowersAtStart !== false) {
          for (const { appid } of DEMO_ACCOUNTS) await followerSync.run(appid, 'manual');
        }
      } catch (err) {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'demo warm-up incomplete');
      }
      followerSync.start();
    })();

    return {
      ...keys,
      url,
      simulatorUrl: sim.url,
      hub,
      web,
      sim,
      activity,
      warmedUp,
      close: async () => {
        await warmedUp;
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
