/**
 * The business clients of the chaos run, in their own OS process, calling through the fleet's
 * load balancer at a steady rate (open loop: a slow answer does not slow the next call):
 * - SDK clients: one `WeChatClient` + `HubTokenProvider` each (as separate business processes
 *   would have), calling `users.get(openid)`: the token comes from the hub, the call goes to WeChat;
 * - drop-in clients: legacy code in plain HTTP, as the tutorial PHP does: `GET /cgi-bin/token` on
 *   the hub with a client key as the secret, the stand-in cached for 7000 s, then
 *   `GET /cgi-bin/user/info` through the hub's proxy. No retry of their own.
 *
 * Every clock read in this process is the simulator's virtual time (bench/lib/virtual-time.ts), so
 * `HubTokenProvider`'s cache and the legacy 7000 s cache age as the hubs' tokens do.
 *
 * Env `CHAOS_CLIENTS_CONFIG` (ClientsConfig as JSON), `CHAOS_CLOCK_OFFSET`. Commands: `clock`,
 * `phase` (tags the calls that start from then on), `start`, `stop` (drains, replies the records).
 */
import { performance } from 'node:perf_hooks';
import type { TokenProvider } from '../../src/client/index.js';
import { installVirtualTime } from '../lib/virtual-time.js';
import { childProtocol } from './child.js';
import type { Failure } from './classify.js';

/** How the harness configures this process. */
export interface ClientsConfig {
  /** The load balancer in front of the hubs. */
  readonly hubUrl: string;
  /** WeChat (the simulator): where SDK clients send their API calls. */
  readonly wechatUrl: string;
  readonly key: string;
  /** One entry per SDK client. */
  readonly sdk: readonly { readonly appid: string; readonly openid: string }[];
  /** One entry per drop-in client. */
  readonly dropIn: readonly { readonly appid: string; readonly openid: string }[];
  /** Calls per second, per client. */
  readonly perClientRate: number;
  /** Legacy code's HTTP timeout. */
  readonly dropInTimeoutMs: number;
  /** Legacy code caches the token this long (the tutorial's `now + 7000`). */
  readonly standInCacheSeconds: number;
  /** Calls one client may have in flight; beyond it a scheduled call is shed (and counted). */
  readonly maxInFlight: number;
}

/** One business call, as the harness receives it. */
export interface CallRecord {
  readonly phase: string;
  readonly kind: 'sdk' | 'drop-in';
  readonly appid: string;
  /** Real ms since the clients started. */
  readonly t: number;
  readonly ms: number;
  readonly failure?: Failure;
}

export interface ClientsResult {
  readonly calls: readonly CallRecord[];
  /** Scheduled calls not made because the client already had `maxInFlight` in flight. */
  readonly shed: number;
  /** Calls still unanswered when the drain gave up. */
  readonly abandoned: number;
}

const clock = installVirtualTime();
clock.setOffsetMs(Number(process.env.CHAOS_CLOCK_OFFSET ?? 0));
// wxhub and undici load after the virtual clock is in place.
const { HubTokenProvider, WeChatClient } = await import('../../src/client/index.js');
const { Agent, request } = await import('undici');
const { classifyDropIn, classifySdkError } = await import('./classify.js');

const config = JSON.parse(process.env.CHAOS_CLIENTS_CONFIG ?? '{}') as ClientsConfig;
const started = performance.now();
let phase = 'setup';
const calls: CallRecord[] = [];
let shed = 0;

/** Errors that came out of the token provider (the hub), as opposed to the call to WeChat. */
const fromHub = new WeakSet<object>();
class TaggingProvider implements TokenProvider {
  constructor(private readonly inner: TokenProvider) {}
  getAccessToken(appid: string) {
    return this.#tag(this.inner.getAccessToken(appid));
  }
  refreshAccessToken(appid: string, staleToken: string) {
    return this.#tag(this.inner.refreshAccessToken(appid, staleToken));
  }
  getTicket(appid: string, type: 'jsapi' | 'wx_card') {
    return this.#tag(this.inner.getTicket(appid, type));
  }
  close() {
    return this.inner.close?.() ?? Promise.resolve();
  }
  #tag<T>(promise: Promise<T>): Promise<T> {
    return promise.catch((err: unknown) => {
      if (typeof err === 'object' && err !== null) fromHub.add(err);
      throw err;
    });
  }
}

const agent = new Agent({ connections: 128, keepAliveTimeout: 10_000 });

async function get(url: string) {
  try {
    const res = await request(url, {
      dispatcher: agent,
      headersTimeout: config.dropInTimeoutMs,
      bodyTimeout: config.dropInTimeoutMs,
    });
    const text = await res.body.text();
    const type = res.headers['content-type'];
    const reason = res.headers['x-wxhub-error'];
    return {
      status: res.statusCode,
      contentType: typeof type === 'string' ? type : '',
      text,
      wxhubError: typeof reason === 'string' ? reason : undefined,
    };
  } catch (err) {
    return { transport: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

interface Client {
  readonly kind: CallRecord['kind'];
  readonly appid: string;
  /** Resolves the failure, or undefined on success. */
  call(): Promise<Failure | undefined>;
  close(): Promise<void>;
}

function sdkClient(appid: string, openid: string): Client {
  const client = new WeChatClient({
    appid,
    tokens: new TaggingProvider(new HubTokenProvider({ url: config.hubUrl, key: config.key })),
    endpoints: { api: config.wechatUrl, open: config.wechatUrl },
  });
  return {
    kind: 'sdk',
    appid,
    async call() {
      try {
        const user = await client.users.get(openid);
        if (user.openid !== openid) throw new Error(`users.get answered openid ${user.openid}`);
        return undefined;
      } catch (err) {
        return classifySdkError(err, typeof err === 'object' && err !== null && fromHub.has(err));
      }
    },
    close: () => client.close(),
  };
}

function dropInClient(appid: string, openid: string): Client {
  let cached: { token: string; expireTime: number } | undefined;
  const tokenUrl = `${config.hubUrl}/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${config.key}`;
  return {
    kind: 'drop-in',
    appid,
    async call() {
      if (!cached || Date.now() >= cached.expireTime) {
        const res = await get(tokenUrl);
        let token: unknown;
        if ('status' in res && res.status === 200) {
          try {
            token = (JSON.parse(res.text) as { access_token?: unknown }).access_token;
          } catch {
            token = undefined;
          }
        }
        if (typeof token !== 'string') return classifyDropIn('token', res);
        cached = { token, expireTime: Date.now() + config.standInCacheSeconds * 1000 };
      }
      const res = await get(
        `${config.hubUrl}/cgi-bin/user/info?access_token=${cached.token}&openid=${openid}&lang=zh_CN`,
      );
      if ('status' in res && res.status === 200) {
        try {
          if ((JSON.parse(res.text) as { openid?: unknown }).openid === openid) return undefined;
        } catch {
          // not JSON: classified below
        }
      }
      return classifyDropIn('api', res);
    },
    close: async () => undefined,
  };
}

const clients: Client[] = [
  ...config.sdk.map((c) => sdkClient(c.appid, c.openid)),
  ...config.dropIn.map((c) => dropInClient(c.appid, c.openid)),
];
const inFlight = new Set<Promise<void>>();
let running = false;
const loops: Promise<void>[] = [];

async function loop(client: Client, index: number): Promise<void> {
  const interval = 1000 / config.perClientRate;
  // Spread the clients over one interval so their calls don't arrive in lockstep.
  let next = performance.now() + (interval * index) / clients.length;
  let mine = 0;
  while (running) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (!running) break;
    next += interval;
    if (mine >= config.maxInFlight) {
      shed++;
      continue;
    }
    const callPhase = phase;
    const t0 = performance.now();
    mine++;
    const done: Promise<void> = client
      .call()
      .catch(
        (err: unknown): Failure => ({
          class: 'wxhub',
          code: 'harness',
          tokenInvalid: false,
          detail: String(err),
        }),
      )
      .then((failure) => {
        const t1 = performance.now();
        calls.push({
          phase: callPhase,
          kind: client.kind,
          appid: client.appid,
          t: Math.round(t0 - started),
          ms: Math.round((t1 - t0) * 100) / 100,
          ...(failure ? { failure } : {}),
        });
      })
      .finally(() => {
        mine--;
        inFlight.delete(done);
      });
    inFlight.add(done);
  }
}

const { send, serve } = childProtocol(async (cmd) => {
  switch (cmd.cmd) {
    case 'clock':
      clock.setOffsetMs(Number(cmd.offset));
      return {};
    case 'phase':
      phase = String(cmd.name);
      return {};
    case 'start':
      running = true;
      loops.push(...clients.map((client, i) => loop(client, i)));
      return {};
    case 'stop': {
      running = false;
      await Promise.all(loops);
      const drainMs = Number(cmd.drainMs ?? 40_000);
      const drained = await Promise.race([
        Promise.all([...inFlight]).then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), drainMs)),
      ]);
      const abandoned = drained ? 0 : inFlight.size;
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      const result: ClientsResult = { calls, shed, abandoned };
      return { ...result };
    }
    default:
      throw new Error(`unknown command ${String(cmd.cmd)}`);
  }
});

send({ type: 'ready', pid: process.pid });
await serve();
await agent.close();
process.exit(0);
