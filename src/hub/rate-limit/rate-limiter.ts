import type { RateLimit } from '../../db/index.js';
import type { Clock } from '../../util/clock.js';

interface Bucket {
  tokens: number;
  at: number;
}

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

const MAX_BUCKETS = 50_000;
/** Every yes is the same answer: no allocation per request. */
const ALLOWED: RateDecision = Object.freeze({ ok: true });

/**
 * Token buckets per caller (a client key id, or an IP for unauthenticated pass-through calls),
 * in this process: a fleet of N hubs allows up to N times a key's rate, which is the price of
 * not touching the store per request. Buckets refill at `perSecond` up to `burst`.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    private readonly defaults: RateLimit,
    private readonly clock: Clock,
  ) {}

  /** Takes one token from `bucket`'s bucket, with `limit` (else the defaults). */
  take(bucket: string, limit: RateLimit | null = null): RateDecision {
    const { perSecond, burst } = limit ?? this.defaults;
    const now = this.clock.now();
    let state = this.#buckets.get(bucket);
    if (!state) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#sweep(now);
      state = { tokens: burst, at: now };
      this.#buckets.set(bucket, state);
    }
    state.tokens = Math.min(burst, state.tokens + (Math.max(0, now - state.at) / 1000) * perSecond);
    state.at = now;
    if (state.tokens >= 1) {
      state.tokens -= 1;
      return ALLOWED;
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - state.tokens) / perSecond)) };
  }

  /**
   * Drops buckets idle for a minute: at any sane limit they are full again, and a full bucket is
   * the same as none. Only runs when the map is at its cap (many distinct callers).
   */
  #sweep(now: number): void {
    for (const [key, state] of this.#buckets) {
      if (now - state.at > 60_000) this.#buckets.delete(key);
    }
    if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.clear();
  }
}
