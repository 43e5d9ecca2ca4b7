import { performance } from 'node:perf_hooks';
import type { LoadResult } from './load.js';

export interface ClosedLoopOptions {
  /** Callers in flight at once, each awaiting its call before the next. Default 50. */
  readonly concurrency?: number;
  /** Stop after this many calls... Default 1,000,000. */
  readonly maxRequests?: number;
  /** ...or after this long, whichever comes first. Default 10 s. */
  readonly durationMs?: number;
}

/**
 * runLoad's closed loop for any async call (an SDK method, a raw request): `concurrency` callers
 * each await `call(index)` and start the next, until `maxRequests` were issued or `durationMs`
 * passed. A rejection counts as an error (statuses: `ok` / `error`). Same shape as LoadResult,
 * so `summarize()` applies.
 */
export async function runClosedLoop(
  call: (index: number) => Promise<unknown>,
  options: ClosedLoopOptions = {},
): Promise<LoadResult & { firstError?: unknown }> {
  const concurrency = options.concurrency ?? 50;
  const maxRequests = options.maxRequests ?? 1_000_000;
  const durationMs = options.durationMs ?? 10_000;
  const latencies = new Float64Array(maxRequests);
  let issued = 0;
  let completed = 0;
  let errors = 0;
  let firstError: unknown;
  const started = performance.now();
  const deadline = started + durationMs;

  async function caller(): Promise<void> {
    while (issued < maxRequests && performance.now() < deadline) {
      const index = issued++;
      const t0 = performance.now();
      try {
        await call(index);
      } catch (err) {
        errors++;
        firstError ??= err;
      }
      latencies[completed++] = performance.now() - t0;
    }
  }

  await Promise.all(Array.from({ length: concurrency }, caller));
  return {
    requests: completed,
    errors,
    durationMs: performance.now() - started,
    latenciesMs: latencies.subarray(0, completed),
    statuses: { ok: completed - errors, error: errors },
    firstError,
  };
}
