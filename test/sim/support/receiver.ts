// A developer's server in miniature: records what the simulator sends and answers as each test
// scripts it. Loopback only, random port, closed after the test.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Parameter names in the order they came. */
  readonly queryOrder: string[];
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** How the receiver answers one request. */
export type Behaviour = (req: Received, res: ServerResponse) => void;

/** Answers with this status and body. */
export function answer(status: number, body: string): Behaviour {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
  };
}

/** Never answers (the socket is dropped when the caller gives up or the receiver closes). */
export const hang: Behaviour = () => {};

/** The URL check done right: echoes echostr. */
export const echo: Behaviour = (req, res) => answer(200, req.query.get('echostr') ?? '')(req, res);

export interface Receiver {
  /** e.g. `http://127.0.0.1:PORT/wx`. */
  readonly url: string;
  readonly requests: Received[];
  /** Behaviours for the next requests, in order; after them, the default. */
  next(...behaviours: Behaviour[]): void;
  /** What requests get once the queue is empty (default: echo for GET, `success` for POST). */
  otherwise(behaviour: Behaviour): void;
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number): Promise<void>;
  close(): Promise<void>;
}

const open: Receiver[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

export async function startReceiver(path = '/wx'): Promise<Receiver> {
  const requests: Received[] = [];
  const queue: Behaviour[] = [];
  const sockets = new Set<Socket>();
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let fallback: Behaviour = (req, res) =>
    req.method === 'GET' ? echo(req, res) : answer(200, 'success')(req, res);

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const received: Received = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        queryOrder: [...url.searchParams.keys()],
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      for (const waiter of [...waiters]) {
        if (requests.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
      (queue.shift() ?? fallback)(received, res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    next: (...behaviours) => queue.push(...behaviours),
    otherwise: (behaviour) => {
      fallback = behaviour;
    },
    waitFor: (count) =>
      requests.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  open.push(receiver);
  return receiver;
}
