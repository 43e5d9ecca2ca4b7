import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret } from '../../../src/gateway/deliver/webhook-signature.js';
import type { PushEvent } from '../../../src/gateway/receive/push-event.js';
import type { Clock } from '../../../src/util/clock.js';
import { outputOf, spawnCli } from '../../hub/support/run-cli.js';

/** Standard Webhooks verification; on a virtual clock, the library signs and the window is the clock's. */
function verify(verifier: Webhook, body: string, headers: Record<string, string>, clock?: Clock): PushEvent {
  if (!clock) return verifier.verify(body, headers) as PushEvent;
  const timestamp = Number(headers['webhook-timestamp']);
  if (Math.abs(clock.now() / 1000 - timestamp) > 300) throw new Error('timestamp outside the window');
  const expected = verifier.sign(headers['webhook-id']!, new Date(timestamp * 1000), body);
  if (!headers['webhook-signature']!.split(' ').includes(expected)) throw new Error('bad signature');
  return JSON.parse(body) as PushEvent;
}

/** One delivery as the subscriber saw it, and whether it answered 2xx. */
export interface Delivery {
  readonly id: string;
  readonly msgId: string;
  readonly openid: string;
  answered: boolean;
}

/**
 * A webhook subscriber that verifies each delivery with `standardwebhooks` and either answers
 * 204 at once (`open`), holds the request without answering (`hold`), so deliveries are in
 * flight when the hub is killed, or answers 503 (`down`). Every delivery is recorded, with
 * whether a 2xx went back. `clock`: the hub's, when it runs on virtual time (the timestamp
 * window is then checked against it; the signature still by the library).
 */
export async function startGateSubscriber(clock?: Clock) {
  const secret = newWebhookSecret();
  const verifier = new Webhook(secret);
  const deliveries: Delivery[] = [];
  const held: ServerResponse[] = [];
  const state = { mode: 'open' as 'open' | 'hold' | 'down' };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      if (state.mode === 'down') return res.writeHead(503).end();
      let event: PushEvent;
      try {
        event = verify(verifier, body, req.headers as Record<string, string>, clock);
      } catch {
        return res.writeHead(400).end('bad signature');
      }
      const delivery: Delivery = {
        id: String(req.headers['webhook-id']),
        msgId: String(event.fields.MsgId),
        openid: event.openid,
        answered: false,
      };
      deliveries.push(delivery);
      if (state.mode === 'hold') {
        held.push(res);
        return;
      }
      res.writeHead(204).end();
      delivery.answered = true;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    secret,
    deliveries,
    state,
    /** Answers 204 from now on; requests held so far get 503 (a hub still waiting retries them). */
    open() {
      state.mode = 'open';
      for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(503).end();
    },
    /** Deliveries answered 2xx, in arrival order. */
    answered: () => deliveries.filter((d) => d.answered),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type GateSubscriber = Awaited<ReturnType<typeof startGateSubscriber>>;

/** `wxhub serve --config FILE --port 0` in `dir` as a child process, until it listens. */
export async function startServeChild(dir: string, file: string, env: NodeJS.ProcessEnv) {
  const child = spawnCli(['serve', '--config', file, '--port', '0'], dir, env);
  const output = outputOf(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`wxhub serve did not start: ${output.stdout}${output.stderr}`)),
      30_000,
    );
    child.stdout!.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(output.stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`wxhub serve exited with ${code}: ${output.stdout}${output.stderr}`));
    });
  });
  return {
    url,
    child,
    stderr: () => output.stderr,
    /** SIGKILL: no shutdown, no lease released, in-flight deliveries cut off. */
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
export type ServeChild = Awaited<ReturnType<typeof startServeChild>>;

/**
 * What "delivered after a crash" must mean: every pushed MsgId answered 2xx exactly once (so a
 * duplicate only where the 2xx never reached the hub), each event always under one webhook-id,
 * and each user's events first answered in the order WeChat pushed them. Returns the duplicates.
 */
export function checkDelivered(
  deliveries: readonly Delivery[],
  pushed: ReadonlyMap<string, readonly string[]>,
): { duplicates: Delivery[] } {
  const all = [...pushed.values()].flat();
  const answered = deliveries.filter((d) => d.answered);
  const problems: string[] = [];
  for (const msgId of all) {
    const n = answered.filter((d) => d.msgId === msgId).length;
    if (n !== 1) problems.push(`MsgId ${msgId} answered 2xx ${n} times`);
    const ids = new Set(deliveries.filter((d) => d.msgId === msgId).map((d) => d.id));
    if (ids.size !== 1) problems.push(`MsgId ${msgId} came under ${ids.size} webhook-ids`);
  }
  for (const [openid, msgIds] of pushed) {
    const order = answered.filter((d) => d.openid === openid).map((d) => d.msgId);
    if (order.join() !== msgIds.join()) problems.push(`${openid}: answered ${order} for pushed ${msgIds}`);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const seen = new Set<string>();
  const duplicates = deliveries.filter((d) => seen.has(d.msgId) || !seen.add(d.msgId));
  return { duplicates };
}
