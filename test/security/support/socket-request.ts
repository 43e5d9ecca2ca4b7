import { request } from 'node:http';
import { connect } from 'node:net';

/** What an HTTP request answered over a real socket, in the shape of Fastify's `inject()` response. */
export interface SocketAnswer {
  /** 0 when the server closed the connection without an answer. */
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly rawPayload: Buffer;
  readonly body: string;
  // biome-ignore lint/suspicious/noExplicitAny: inject()'s json() is untyped too; tests read fields.
  json(): any;
}

export interface SocketRequest {
  readonly method?: string;
  /** Path and query, sent byte for byte. */
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** A string or bytes as they are; anything else as JSON (with its content type), as inject() does. */
  readonly payload?: unknown;
}

/**
 * One request over a fresh TCP connection to a listening server (`Connection: close`): through
 * node:http's client when it accepts the request, else written as raw bytes (a path with spaces,
 * control or non-Latin-1 characters, a header value node refuses to send), as an attacker would.
 */
export function socketRequest(base: string, options: SocketRequest): Promise<SocketAnswer> {
  const { hostname, port } = new URL(base);
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { ...options.headers };
  let body: Buffer | undefined;
  if (options.payload !== undefined) {
    if (typeof options.payload === 'string' || Buffer.isBuffer(options.payload)) {
      body = Buffer.from(options.payload);
    } else {
      body = Buffer.from(JSON.stringify(options.payload));
      headers['content-type'] ??= 'application/json';
    }
    headers['content-length'] = String(body.length);
  }
  headers.connection = 'close';
  return new Promise((resolve) => {
    let req: ReturnType<typeof request>;
    try {
      req = request({ host: hostname, port, method, path: options.url, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(answer(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
        res.on('error', () => resolve(answer(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
      });
    } catch {
      // node's client refuses what a raw socket will still send.
      resolve(rawRequest(hostname, Number(port), method, options.url, headers, body));
      return;
    }
    req.on('error', () => resolve(answer(0, {}, Buffer.alloc(0))));
    req.end(body);
  });
}

function answer(statusCode: number, headers: SocketAnswer['headers'], rawPayload: Buffer): SocketAnswer {
  const body = rawPayload.toString('utf8');
  return { statusCode, headers, rawPayload, body, json: () => JSON.parse(body) };
}

/** The request as raw bytes (UTF-8 request line), read until the server closes. */
function rawRequest(
  host: string,
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<SocketAnswer> {
  const head = [`${method} ${path} HTTP/1.1`, `Host: ${host}:${port}`];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  const bytes = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'), body ?? Buffer.alloc(0)]);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(parse(Buffer.concat(chunks))));
    socket.on('connect', () => socket.end(bytes));
  });
}

/** A whole HTTP/1.1 response (read to the close): status, headers, body (de-chunked). */
function parse(bytes: Buffer): SocketAnswer {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return answer(0, {}, Buffer.alloc(0));
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const statusCode = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = bytes.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined)
    body = body.subarray(0, Number(headers['content-length']));
  return answer(statusCode, headers, body);
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
