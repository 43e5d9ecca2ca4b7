import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { announceAndWait, type ChildServer, startChildServer } from './child-server.js';

/** What one webhook receiver saw, as `GET /__received` answers it. */
export interface ReceiverLog {
  /** Per delivery in arrival order: [webhook-id, MsgId, epoch ms of arrival]. */
  readonly deliveries: [string, string, number][];
  /** Deliveries whose signature did not verify (answered 401). */
  badSignatures: number;
}

/**
 * Webhook subscribers for benchmarks and the chaos suite: `count` node:http servers on loopback,
 * each verifying the Standard Webhooks signature with its `whsec_` secret (as a consumer must),
 * answering 204 and noting the arrival. Run in a child process (`serveWebhookReceivers` from a
 * script's child mode) so their work is not on the load generator's or the hub's event loop.
 * `GET /__received` on any of them answers every receiver's log, `GET /__counts` the number of
 * distinct webhook-ids each got; `POST /__reset` clears them.
 */
export async function serveWebhookReceivers(secrets: readonly string[]): Promise<void> {
  const logs: ReceiverLog[] = secrets.map(() => ({ deliveries: [], badSignatures: 0 }));
  const servers: Server[] = secrets.map((secret, i) => {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    return createServer((req, res) => handle(req, res, key, logs[i]!, logs));
  });
  const urls = await Promise.all(
    servers.map(async (server) => {
      server.keepAliveTimeout = 60_000;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }),
  );
  announceAndWait(urls.join(','), () =>
    Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))),
  );
}

function handle(
  req: IncomingMessage,
  res: ServerResponse,
  key: Buffer,
  log: ReceiverLog,
  logs: ReceiverLog[],
): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url === '/__received') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(logs));
      return;
    }
    if (req.url === '/__counts') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(logs.map((l) => new Set(l.deliveries.map((d) => d[0])).size)));
      return;
    }
    if (req.url === '/__reset') {
      for (const l of logs) {
        l.deliveries.length = 0;
        l.badSignatures = 0;
      }
      res.writeHead(204).end();
      return;
    }
    const arrived = performance.timeOrigin + performance.now();
    const body = Buffer.concat(chunks).toString('utf8');
    const id = String(req.headers['webhook-id'] ?? '');
    const timestamp = String(req.headers['webhook-timestamp'] ?? '');
    const expected = `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
    const given = String(req.headers['webhook-signature'] ?? '')
      .split(' ')
      .map((s) => Buffer.from(s));
    if (!given.some((g) => g.length === expected.length && timingSafeEqual(g, Buffer.from(expected)))) {
      log.badSignatures++;
      res.writeHead(401).end();
      return;
    }
    const event = JSON.parse(body) as { fields: { MsgId?: string } };
    log.deliveries.push([id, event.fields.MsgId ?? '', arrived]);
    res.writeHead(204).end();
  });
}

/** The receivers' process seen from the script that started it. */
export interface WebhookReceivers {
  readonly server: ChildServer;
  readonly urls: readonly string[];
  logs(): Promise<ReceiverLog[]>;
  /** Distinct webhook-ids each receiver got. */
  counts(): Promise<number[]>;
  reset(): Promise<void>;
}

/** The receivers' process, started from `script --serve receivers` with secrets in the env. */
export async function startWebhookReceivers(
  script: string,
  secrets: readonly string[],
): Promise<WebhookReceivers> {
  const server = await startChildServer([script, '--serve', 'receivers'], {
    env: { BENCH_WEBHOOK_SECRETS: secrets.join(',') },
  });
  const urls = server.url.split(',');
  return {
    server,
    urls,
    logs: async () => (await (await request(`${urls[0]}/__received`)).body.json()) as ReceiverLog[],
    counts: async () => (await (await request(`${urls[0]}/__counts`)).body.json()) as number[],
    reset: async () => {
      await (await request(`${urls[0]}/__reset`, { method: 'POST' })).body.dump();
    },
  };
}

/** In the child: the secrets `startWebhookReceivers` passed. */
export function receiverSecretsFromEnv(): string[] {
  return (process.env.BENCH_WEBHOOK_SECRETS ?? '').split(',').filter(Boolean);
}
