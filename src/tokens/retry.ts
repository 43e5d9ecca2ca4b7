/**
 * Decides how long to wait before retry number `attempt` (1-based), or null to give up.
 * Replaceable, as in ioredis' `retryStrategy`.
 */
export type RetryStrategy = (attempt: number) => number | null;

export interface BackoffOptions {
  /** Attempts after the first one. Default 3. */
  readonly retries?: number;
  /** First delay, ms. Default 200. */
  readonly baseMs?: number;
  /** Cap on one delay, ms. Default 3000. */
  readonly capMs?: number;
  /** Source of randomness in [0, 1), for tests. */
  readonly random?: () => number;
}

/**
 * Capped exponential backoff with full jitter: a random delay in [d/2, d] where d doubles from
 * `baseMs` up to `capMs`. Jitter keeps a fleet that failed together from retrying together.
 */
export function exponentialBackoff(options: BackoffOptions = {}): RetryStrategy {
  const { retries = 3, baseMs = 200, capMs = 3000, random = Math.random } = options;
  return (attempt) => {
    if (attempt > retries) return null;
    const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
