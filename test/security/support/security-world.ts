import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type InjectOptions } from 'fastify';
import type pino from 'pino';
import { vi } from 'vitest';
import type { ConfigInput } from '../../../src/config/index.js';
import type { Scope } from '../../../src/db/index.js';
import { HttpClient } from '../../../src/http/index.js';
import { RequestLog } from '../../../src/hub/http/request-hooks.js';
import { createHubLogger } from '../../../src/hub/hub-logger.js';
import { createHub, type Hub } from '../../../src/hub/index.js';
import { HubMetrics } from '../../../src/hub/metrics/hub-metrics.js';
import { ActivityLog } from '../../../src/web/activity/activity-log.js';
import { httpTicketRedeemer } from '../../../src/web/demo-site/ticket-redeemer.js';
import { ValueSigner } from '../../../src/web/http/signed-value.js';
import { isWebPath, webFrameworkErrors, webRoutes } from '../../../src/web/web-routes.js';
import { startTestSim } from '../../support/sim.js';
import { type SocketAnswer, socketRequest } from './socket-request.js';

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

/**
 * Counts the requests the fast lanes answer before Fastify, so a suite can show it attacked them:
 * the proxy lane ends its requests with the hub's own logger (Fastify's hook passes a child per
 * request), and only the token lane asks the metrics for a recorder. Restored by `stop()`.
 */
function countLaneAnswers(hubLogger: FastifyBaseLogger) {
  let count = 0;
  const finish = RequestLog.prototype.finish;
  const finishSpy = vi.spyOn(RequestLog.prototype, 'finish').mockImplementation(function (
    this: RequestLog,
    log,
    line,
  ) {
    if (log === hubLogger) count++;
    finish.call(this, log, line);
  });
  const recorder = HubMetrics.prototype.requestRecorder;
  const recorderSpy = vi.spyOn(HubMetrics.prototype, 'requestRecorder').mockImplementation(function (
    this: HubMetrics,
    route,
    method,
    status,
  ) {
    const observe = recorder.call(this, route, method, status);
    return (seconds: number) => {
      count++;
      observe(seconds);
    };
  });
  return {
    count: () => count,
    stop: () => {
      finishSpy.mockRestore();
      recorderSpy.mockRestore();
    },
  };
}

export interface WorldOptions {
  /** Logger level of the captured logger. Default `trace`. */
  readonly level?: pino.Level;
  /** WeChat timeout of the hub, ms (the hang faults wait this long). Default 700. */
  readonly timeoutMs?: number;
  /** Over the default configuration (`logging.requests: "all"` turns the fast lanes off). */
  readonly config?: Partial<ConfigInput>;
}

/**
 * The whole product in one process, as an attacker meets it: the simulator (behind a recording
 * spy), a hub on SQLite (store and database in one temp file, so raw rows can be read) with the
 * default configuration, listening as `wxhub serve` does (its own server, fast lanes on), logging
 * through the logger `wxhub serve` builds, and the pages (demo site and dashboard) on an origin of
 * their own. Every request goes over a real socket; every log line is kept. Every secret the
 * world was configured with is listed in `secrets`.
 */
export async function securityWorld(options: WorldOptions = {}) {
  const sim = await startTestSim();
  const spy = await startSpy(sim.url);
  const domains = { unionBound: true, oauthDomains: ['127.0.0.1', 'localhost'] };
  const shop = await sim.account({ ...domains, name: 'Shop' });
  const news = await sim.account({ ...domains, name: 'News' });
  const lines: string[] = [];
  const logger = createHubLogger(
    options.level ?? 'trace',
    new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-security-'));
  const dbFile = join(dir, 'hub.db');
  const lanes = countLaneAnswers(logger);
  const encryptionKey = randomBytes(32).toString('base64');
  const signingKey = randomBytes(32).toString('base64url');
  const sessionKey = randomBytes(32).toString('base64url');

  // The pages' server first: the hub's configuration names its origin (an allowed return_to).
  let route: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503);
    res.end();
  };
  const server: Server = createServer((req, res) => route(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const webUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

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
            returnTo: ['https://shop.example.com', 'https://app.example.com/account', `${webUrl}/profile`],
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
      logging: { level: options.level ?? 'trace' },
      ...options.config,
    },
    logger,
    proactiveRefresh: false,
    readyTimeoutMs: 300,
    tokens: { retryStrategy: () => null },
  });

  const url = await hub.app.listen({ port: 0, host: '127.0.0.1' });
  // The same hub without its fast lanes: Fastify's routing alone, over a socket of its own.
  const routeServer = createServer((req, res) => hub.app.routing(req, res));
  // And Fastify's answer to what node's parser refuses, as on the hub's own server.
  for (const listener of hub.app.server.listeners('clientError'))
    routeServer.on('clientError', listener as (...args: unknown[]) => void);
  await new Promise<void>((resolve) => routeServer.listen(0, '127.0.0.1', resolve));
  const routeUrl = `http://127.0.0.1:${(routeServer.address() as AddressInfo).port}`;

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
  route = (req, res) => web.routing(req, res);

  const exchanges: Exchange[] = [];
  /**
   * Like Fastify's `inject()`, but over a real socket: to the pages' origin for their paths, else
   * to the listening hub, where the fast lanes see the request first. Recorded for the leak scan.
   */
  async function inject(opts: InjectOptions & { url: string }, label = ''): Promise<SocketAnswer> {
    const res = await socketRequest(isWebPath(opts.url) ? webUrl : url, {
      method: opts.method,
      url: opts.url,
      headers: opts.headers as Record<string, string> | undefined,
      payload: opts.payload,
    });
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
    /** The hub's origin. */
    url,
    /** The pages' origin (demo site and dashboard). */
    webUrl,
    /** The same hub with no fast lane in front of Fastify: the reference for what the lanes answer. */
    routeUrl,
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
    /** Requests the fast lanes answered so far (none when `logging.requests` is `all`). */
    laneAnswers: lanes.count,
    async close() {
      lanes.stop();
      detach();
      await web.close();
      await hub.close();
      await http.close();
      for (const s of [server, routeServer]) {
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
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
