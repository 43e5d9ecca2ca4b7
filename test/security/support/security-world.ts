import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type InjectOptions,
  type LightMyRequestResponse,
} from 'fastify';
import pino from 'pino';
import type { ConfigInput } from '../../../src/config/index.js';
import type { Scope } from '../../../src/db/index.js';
import { HttpClient } from '../../../src/http/index.js';
import { createHub, type Hub } from '../../../src/hub/index.js';
import { ActivityLog } from '../../../src/web/activity/activity-log.js';
import { httpTicketRedeemer } from '../../../src/web/demo-site/ticket-redeemer.js';
import { ValueSigner } from '../../../src/web/http/signed-value.js';
import { isWebPath, webFrameworkErrors, webRoutes } from '../../../src/web/web-routes.js';
import { startTestSim } from '../../support/sim.js';

/** What one request to the world answered, kept for the leak scan. */
export interface Exchange {
  readonly label: string;
  readonly request: string;
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/** One request the spy in front of the simulator saw. */
export interface SpiedRequest {
  readonly method: string;
  readonly url: string;
  readonly host: string;
}

/**
 * A recording reverse proxy in front of the simulator: `wechat.apiBase` points here, so every
 * byte the hub sends towards "WeChat" is listed, whatever the simulator's own stats count.
 */
async function startSpy(target: string) {
  const seen: SpiedRequest[] = [];
  const server = createServer(async (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', host: String(req.headers.host ?? '') });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    try {
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'accept', 'x-sim-client-ip']) {
        const v = req.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      const answer = await fetch(target + (req.url ?? '/'), {
        method: req.method,
        headers,
        body: body.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? body : undefined,
        redirect: 'manual',
      });
      const out = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, {
        'content-type': answer.headers.get('content-type') ?? 'application/octet-stream',
      });
      res.end(out);
    } catch {
      // The hub gave up (timeout) or the simulator hung up: nothing to answer.
      res.destroy();
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface WorldOptions {
  /** Logger level of the captured logger. Default `trace`. */
  readonly level?: pino.Level;
  /** WeChat timeout of the hub, ms (the hang faults wait this long). Default 700. */
  readonly timeoutMs?: number;
  readonly config?: Partial<ConfigInput>;
}

/**
 * The whole product in one process, as an attacker meets it: the simulator (behind a recording
 * spy), a hub on SQLite (store and database in one temp file, so raw rows can be read), the
 * pages (demo site and dashboard) sharing the hub's origin over a real socket, and every log
 * line at `trace` kept. Every secret the world was configured with is listed in `secrets`.
 */
export async function securityWorld(options: WorldOptions = {}) {
  const sim = await startTestSim();
  const spy = await startSpy(sim.url);
  const domains = { unionBound: true, oauthDomains: ['127.0.0.1', 'localhost'] };
  const shop = await sim.account({ ...domains, name: 'Shop' });
  const news = await sim.account({ ...domains, name: 'News' });
  const lines: string[] = [];
  const logger = pino(
    { level: options.level ?? 'trace' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-security-'));
  const dbFile = join(dir, 'hub.db');
  const encryptionKey = randomBytes(32).toString('base64');
  const signingKey = randomBytes(32).toString('base64url');
  const sessionKey = randomBytes(32).toString('base64url');

  let route: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503);
    res.end();
  };
  const server: Server = createServer((req, res) => route(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const hub: Hub = await createHub({
    config: {
      store: `sqlite:${dbFile}`,
      database: `sqlite:${dbFile}`,
      wechat: { apiBase: spy.url, openBase: sim.url, timeoutMs: options.timeoutMs ?? 700 },
      accounts: [
        {
          appid: shop.appid,
          secret: shop.secret,
          tokenMode: 'stable',
          oauth: {
            returnTo: ['https://shop.example.com', 'https://app.example.com/account', `${url}/profile`],
            defaultScope: 'snsapi_userinfo',
          },
        },
        {
          appid: news.appid,
          secret: news.secret,
          tokenMode: 'classic',
          oauth: { returnTo: ['https://news.example.com'] },
        },
      ],
      oauth: { encryptionKey },
      dropIn: { signingKey },
      // Every request gets its line: the no-secret checks read the most a hub ever logs.
      logging: { level: options.level ?? 'trace', requests: 'all' },
      ...options.config,
    },
    logger: logger.child({ component: 'hub' }),
    proactiveRefresh: false,
    readyTimeoutMs: 300,
    tokens: { retryStrategy: () => null },
  });

  const key = async (scopes: Scope[], appids: string[] = [shop.appid]) =>
    (await hub.services.keys.create({ name: 'security test', appids, scopes })).key;
  const oauthKey = await key(['oauth'], [shop.appid, news.appid]);
  const adminKey = await key(['admin'], []);

  const http = new HttpClient({ timeoutMs: 5000 });
  const activity = new ActivityLog();
  const detach = activity.attach(hub.manager);
  // As startDemo builds the pages app.
  const web: FastifyInstance = Fastify({
    loggerInstance: logger.child({ component: 'web' }) as FastifyBaseLogger,
    frameworkErrors: webFrameworkErrors,
  });
  await web.register(webRoutes, {
    services: hub.services,
    activity,
    signer: new ValueSigner(sessionKey),
    simulatorUrl: sim.url,
    demo: {
      accounts: [
        { appid: shop.appid, name: 'Shop' },
        { appid: news.appid, name: 'News' },
      ],
      redeem: httpTicketRedeemer({ http, hubUrl: url, key: oauthKey }),
    },
  });
  await web.ready();
  route = (req, res) => (isWebPath(req.url ?? '/') ? web : hub.app).routing(req, res);

  const exchanges: Exchange[] = [];
  /** `inject()` into whichever app owns the path (as the shared server does), recorded. */
  async function inject(opts: InjectOptions & { url: string }, label = ''): Promise<LightMyRequestResponse> {
    const app = isWebPath(opts.url) ? web : hub.app;
    const res = await app.inject(opts);
    exchanges.push({
      label,
      request: `${opts.method ?? 'GET'} ${opts.url}`,
      status: res.statusCode,
      headers: JSON.stringify(res.headers),
      body: res.body,
    });
    return res;
  }

  return {
    sim,
    spy,
    hub,
    web,
    url,
    shop,
    news,
    dbFile,
    lines,
    logger,
    exchanges,
    inject,
    key,
    oauthKey,
    adminKey,
    secrets: { encryptionKey, signingKey, sessionKey, shopSecret: shop.secret, newsSecret: news.secret },
    async close() {
      detach();
      await web.close();
      await hub.close();
      await http.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await spy.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type SecurityWorld = Awaited<ReturnType<typeof securityWorld>>;

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** The part of a key that is secret (after `wxk_<id>_`). */
export const keySecret = (key: string) => key.split('_').slice(2).join('_');
