import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { type LoadRequest, type LoadResult, sendCounted } from './load.js';

export interface OpenLoopOptions {
  readonly origin: string;
  /** The requests, sent in order, one every 1/rate s. */
  readonly count: number;
  readonly request: (index: number) => LoadRequest;
  /** Requests per second, whatever the server's pace. */
  readonly rate: number;
  /** Keep-alive connections of the pool (requests beyond wait in its queue). Default 64. */
  readonly connections?: number;
  readonly ok?: (status: number) => boolean;
}

export interface OpenLoopResult extends LoadResult {
  /** Epoch ms (sub-ms precision) at which request i's answer arrived; NaN when it failed. */
  readonly answeredAt: Float64Array;
}

/**
 * An open-loop (fixed-rate) load generator on an undici pool: request i is due at start + i/rate
 * and sent then, however slow the server is, and its latency counts from when it was due (so a
 * stall shows in the percentiles instead of slowing the load down: no coordinated omission).
 * `latenciesMs[i]` is request i's; `answeredAt` lets a bench match answers with what followed.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const ok = options.ok ?? ((status: number) => status >= 200 && status < 300);
  const pool = new Pool(options.origin, {
    connections: options.connections ?? 64,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const latencies = new Float64Array(options.count);
  const answeredAt = new Float64Array(options.count).fill(Number.NaN);
  const statuses: Record<string, number> = {};
  const intervalMs = 1000 / options.rate;
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();

  const send = async (index: number, due: number): Promise<void> => {
    if (await sendCounted(pool, options.request(index), statuses, ok))
      answeredAt[index] = performance.timeOrigin + performance.now();
    else errors++;
    latencies[index] = performance.now() - due;
  };

  try {
    let next = 0;
    while (next < options.count) {
      const now = performance.now();
      // Everything due by now goes out in this tick; timers fire ~1 ms apart at best.
      while (next < options.count && started + next * intervalMs <= now) {
        inFlight.push(send(next, started + next * intervalMs));
        next++;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + next * intervalMs - now)));
    }
    await Promise.all(inFlight);
  } finally {
    await pool.close();
  }
  return {
    requests: options.count,
    errors,
    durationMs: performance.now() - started,
    latenciesMs: latencies,
    statuses,
    answeredAt,
  };
}
