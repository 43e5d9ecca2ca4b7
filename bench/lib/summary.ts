import type { LoadResult } from './load.js';

/** What a load run measured, in the units tables and JSON results use. */
export interface Summary {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  /** Completed requests per second. */
  readonly rps: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** The p-th percentile (0–100) of ascending-sorted values, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Sorts a copy of the latencies and summarises a run. */
export function summarize(result: LoadResult): Summary {
  const sorted = Float64Array.from(result.latenciesMs).sort();
  let total = 0;
  for (const v of sorted) total += v;
  const seconds = result.durationMs / 1000;
  return {
    requests: result.requests,
    errors: result.errors,
    seconds: round(seconds, 2),
    rps: round(result.requests / seconds, 0),
    meanMs: round(sorted.length ? total / sorted.length : Number.NaN, 3),
    p50Ms: round(percentile(sorted, 50), 3),
    p90Ms: round(percentile(sorted, 90), 3),
    p99Ms: round(percentile(sorted, 99), 3),
    maxMs: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN, 3),
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Median of numbers (e.g. req/s over rounds). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
