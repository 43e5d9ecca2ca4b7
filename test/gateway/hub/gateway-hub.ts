import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import type { ConfigInput } from '../../../src/config/index.js';
import { newWebhookSecret } from '../../../src/gateway/deliver/webhook-signature.js';
import type { PushEvent } from '../../../src/gateway/receive/push-event.js';
import { type StartedHub, type StartHubOptions, startHub } from '../../../src/hub/start-hub.js';
import { startTestSim, type TestSim } from '../../support/sim.js';

/** A random EncodingAESKey: 43 of [A-Za-z0-9]. */
export function aesKey(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(43), (b) => chars[b % chars.length]).join('');
}

/** One webhook delivery as the subscriber saw it: verified with the Standard Webhooks library. */
export interface Received {
  readonly event: PushEvent;
  readonly headers: Record<string, string>;
}

/**
 * A webhook subscriber on a random loopback port: verifies each delivery with `standardwebhooks`
 * (any failure answers 400), records it, and answers per `respond` (default 204). `down` makes it
 * answer 503 (a subscriber that is down as far as the hub can tell).
 */
export async function startSubscriber(
  respond: (
    event: PushEvent,
  ) => Promise<{ status: number; body?: string }> | { status: number; body?: string } = () => ({
    status: 204,
  }),
) {
  const secret = newWebhookSecret();
  const verifier = new Webhook(secret);
  const received: Received[] = [];
  const state = { down: false };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      void (async () => {
        if (state.down) return res.writeHead(503).end();
        let event: PushEvent;
        try {
          event = verifier.verify(body, req.headers as Record<string, string>) as PushEvent;
        } catch {
          return res.writeHead(400).end('bad signature');
        }
        received.push({ event, headers: req.headers as Record<string, string> });
        const answer = await respond(event);
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    secret,
    received,
    state,
    events: () => received.map((r) => r.event),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type TestSubscriber = Awaited<ReturnType<typeof startSubscriber>>;

/** Polls `check` every 10 ms until it holds, failing after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface GatewayHubOptions {
  readonly mode?: 'plain' | 'compatible' | 'safe';
  /** Subscribers and other config over the defaults (store and database in memory). */
  readonly config?: (account: { appid: string; secret: string }) => Partial<ConfigInput>;
  /** A callback block to merge into the account's (e.g. a reply subscriber). */
  readonly callback?: Record<string, unknown>;
  readonly hub?: Partial<StartHubOptions>;
  /** The simulator's per-try push timeout, real ms (WeChat's is 5000). */
  readonly pushTimeoutMs?: number;
  /** Reuse a simulator (several hubs of one fleet). */
  readonly sim?: TestSim;
}

/**
 * A simulator, an account with a follower, and a hub listening on a random port whose URL the
 * simulator saved as the account's server (so the URL check passed): WeChat pushing to wxhub.
 */
export async function startGatewayHub(options: GatewayHubOptions = {}) {
  const sim = options.sim ?? (await startTestSim());
  const mode = options.mode ?? 'safe';
  const token = `Tok${randomBytes(6).toString('hex')}`;
  const key = mode === 'plain' ? undefined : aesKey();
  const account = await sim.account();
  const { openid } = await sim.user(account.appid, { subscribe: 1, nickname: 'Pusher' });
  const extra = options.config?.(account) ?? {};
  const hub: StartedHub = await startHub({
    config: {
      store: 'memory:',
      database: 'memory:',
      wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: 2000 },
      ...extra,
      accounts: [
        {
          appid: account.appid,
          secret: account.secret,
          tokenMode: 'classic',
          callback: { token, mode, ...(key ? { encodingAESKey: key } : {}), ...options.callback },
        },
      ],
    },
    port: 0,
    host: '127.0.0.1',
    clock: sim.clock,
    logger: pino({ level: 'silent' }),
    proactiveRefresh: false,
    gateway: { retryStrategy: (n) => (n > 3 ? null : 50), pollMs: 100 },
    ...options.hub,
  });
  const serverUrl = `${hub.url}/callback/${account.appid}`;
  await sim.control('POST', `/__sim/accounts/${account.appid}/server`, {
    url: serverUrl,
    token,
    mode,
    ...(key ? { encodingAESKey: key } : {}),
    ...(options.pushTimeoutMs ? { timeoutMs: options.pushTimeoutMs } : {}),
  });
  const { appid } = account;
  return {
    sim,
    hub,
    appid,
    secret: account.secret,
    openid,
    token,
    key,
    serverUrl,
    /** A user sends a message; resolves the simulator's account of the push (tries, reply). */
    message: (input: Record<string, unknown>, who = openid) =>
      sim.control<PushOutcome>('POST', `/__sim/accounts/${appid}/users/${who}/messages`, input),
    event: (input: Record<string, unknown>, who = openid) =>
      sim.control<PushOutcome>('POST', `/__sim/accounts/${appid}/users/${who}/events`, input),
    inbox: (who = openid) =>
      sim.control<{ messages: { source: string; msgType: string; content?: string }[] }>(
        'GET',
        `/__sim/accounts/${appid}/users/${who}/inbox`,
      ),
    async close() {
      // WeChat (the simulator) first: a keep-alive socket it opened and never used would hold
      // the hub's close until the server's headers timeout.
      if (!options.sim) await sim.close();
      await hub.close();
    },
  };
}
export type GatewayHub = Awaited<ReturnType<typeof startGatewayHub>>;

/** What the simulator answers for a push. */
export interface PushOutcome {
  readonly msgId?: string;
  readonly createTime: number;
  readonly attempts: number;
  readonly delivered: boolean;
  readonly reply: null | {
    msgType?: string;
    fields?: Record<string, unknown>;
    invalid?: boolean;
    reason?: string;
  };
  readonly userSees: string | null;
  readonly tries: readonly { status?: number; error?: string }[];
  readonly xml: string;
}

/** A Standard Webhooks subscriber entry of the config for `subscriber`. */
export function webhook(
  name: string,
  subscriber: Pick<TestSubscriber, 'url' | 'secret'>,
  extra: object = {},
) {
  return { name, url: subscriber.url, secret: subscriber.secret, ...extra };
}
