import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';

/** What the balancer did, for the report: how much hub death it hid from callers, and how. */
export interface BalancerStats {
  requests: number;
  /** Requests sent again to another hub after the first one failed before answering. */
  retried: number;
  /** ...of which the hub refused the connection (it was down). */
  refused: number;
  /** ...of which the connection broke mid-request (the hub died while working on it). */
  broken: number;
  /** Requests no hub answered (the caller got a 502). */
  failed: number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host']);

/**
 * The load balancer in front of the fleet, as a deployment has one (nginx, an ALB): round robin
 * over the hubs; a hub that refuses a connection or drops one before answering is skipped for a
 * while and the request goes to the next, like nginx's `proxy_next_upstream error`. It retries
 * every method: the clients' only POST is `/v1/.../access-token/refresh`, which is
 * refresh-if-current and idempotent by design. It has no timeout of its own, so a slow hub is the
 * caller's to see. Requests already answered are never replayed.
 */
export class Balancer {
  readonly stats: BalancerStats = { requests: 0, retried: 0, refused: 0, broken: 0, failed: 0 };
  readonly #upstreams: string[];
  readonly #downUntil = new Map<string, number>();
  readonly #agent = new Agent({
    connections: 128,
    keepAliveTimeout: 4000,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  #server: Server | undefined;
  #next = 0;

  constructor(upstreams: readonly string[]) {
    this.#upstreams = [...upstreams];
  }

  /** Listens on a free loopback port; resolves the base URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.#handle(req, res));
    server.keepAliveTimeout = 10_000;
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.#agent.close();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const tries = this.#upstreams.length * 3;
    for (let attempt = 0; attempt < tries && !abort.signal.aborted; attempt++) {
      const upstream = this.#pick();
      let answer: Awaited<ReturnType<typeof request>>;
      try {
        answer = await request(`${upstream}${req.url}`, {
          method: req.method as 'GET' | 'POST',
          headers,
          body,
          dispatcher: this.#agent,
          signal: abort.signal,
        });
      } catch (err) {
        if (abort.signal.aborted) return;
        const code = (err as { code?: string }).code ?? '';
        if (code === 'ECONNREFUSED') this.stats.refused++;
        else this.stats.broken++;
        this.stats.retried++;
        this.#downUntil.set(upstream, Date.now() + 500);
        if (attempt % this.#upstreams.length === this.#upstreams.length - 1) await sleep(100);
        continue;
      }
      const passed: Record<string, string> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (typeof value === 'string' && !HOP_BY_HOP.has(name)) passed[name] = value;
      }
      res.writeHead(answer.statusCode, passed);
      await pipeline(answer.body, res).catch(() => res.destroy());
      return;
    }
    this.stats.failed++;
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('no hub answered');
    }
  }

  #pick(): string {
    const now = Date.now();
    for (let i = 0; i < this.#upstreams.length; i++) {
      const upstream = this.#upstreams[this.#next++ % this.#upstreams.length]!;
      if ((this.#downUntil.get(upstream) ?? 0) <= now) return upstream;
    }
    return this.#upstreams[this.#next++ % this.#upstreams.length]!;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
