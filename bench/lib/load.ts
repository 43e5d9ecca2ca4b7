import { performance } from 'node:perf_hooks';
import { type Dispatcher, Pool } from 'undici';

/** One request of a load run; a function of the request index lets runs vary paths. */
export interface LoadRequest {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path and query, e.g. `/cgi-bin/user/info?access_token=...`. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface LoadOptions {
  /** Origin of the server, e.g. `http://127.0.0.1:9100`. */
  readonly origin: string;
  readonly request: LoadRequest | ((index: number) => LoadRequest);
  /** Closed-loop workers, each with its own keep-alive connection. Default 50. */
  readonly concurrency?: number;
  /** Stop after this many requests... Default 1,000,000. */
  readonly maxRequests?: number;
  /** ...or after this long, whichever comes first. Default 10 s. */
  readonly durationMs?: number;
  /** Count a response as an error unless this says it is fine. Default: status 2xx/3xx. */
  readonly ok?: (status: number) => boolean;
}

export interface LoadResult {
  /** Requests completed (answered or failed). */
  readonly requests: number;
  /** Transport failures and responses that `ok` refused. */
  readonly errors: number;
  /** Wall time of the run, ms. */
  readonly durationMs: number;
  /** Per-request latency, ms, in completion order. */
  readonly latenciesMs: Float64Array;
  readonly statuses: Readonly<Record<string, number>>;
}

/**
 * Sends one request on `pool`, reads the whole answer and counts its status (`error` for a
 * transport failure) in `statuses`. True when the answer came and `ok` accepts its status.
 */
export async function sendCounted(
  pool: Dispatcher,
  req: LoadRequest,
  statuses: Record<string, number>,
  ok: (status: number) => boolean,
): Promise<boolean> {
  try {
    const res = await pool.request({
      method: req.method ?? 'GET',
      path: req.path,
      headers: req.headers,
      body: req.body,
    });
    await res.body.dump({ limit: Number.POSITIVE_INFINITY });
    statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    return ok(res.statusCode);
  } catch {
    statuses.error = (statuses.error ?? 0) + 1;
    return false;
  }
}

/**
 * A closed-loop load generator on undici: `concurrency` workers each send a request, wait for the
 * whole response, and send the next, until `maxRequests` were issued or `durationMs` passed.
 * Latencies go into a preallocated array, so the generator itself allocates little per request.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const concurrency = options.concurrency ?? 50;
  const maxRequests = options.maxRequests ?? 1_000_000;
  const durationMs = options.durationMs ?? 10_000;
  const ok = options.ok ?? ((status: number) => status >= 200 && status < 400);
  const make = typeof options.request === 'function' ? options.request : () => options.request as LoadRequest;
  const pool = new Pool(options.origin, {
    connections: concurrency,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const latencies = new Float64Array(maxRequests);
  const statuses: Record<string, number> = {};
  let issued = 0;
  let completed = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;

  async function worker(): Promise<void> {
    while (issued < maxRequests && performance.now() < deadline) {
      const index = issued++;
      const t0 = performance.now();
      if (!(await sendCounted(pool, make(index), statuses, ok))) errors++;
      latencies[completed++] = performance.now() - t0;
    }
  }

  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
  }
  return {
    requests: completed,
    errors,
    durationMs: performance.now() - started,
    latenciesMs: latencies.subarray(0, completed),
    statuses,
  };
}
