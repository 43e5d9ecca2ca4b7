/**
 * Waiting for another process's SQLite write lock without stopping this process. SQLite's own
 * busy handler sleeps inside the (synchronous) call, so a long wait froze the event loop: every
 * caller, cached token reads included, not only the one that needs the lock. Calls after opening
 * therefore never wait inside SQLite; they are retried on a timer.
 */

/**
 * SQLite's `busy_timeout` for calls after opening, ms: how long one attempt may block the event
 * loop. 0, measured against 5 (test/store/sqlite-lock-wait.test.ts, another process holding the
 * lock 2 s): event-loop utilization 0.02 against 0.40, and no difference in 4-process contention
 * throughput that rose above this machine's noise. SQLite's handler polls with the same kind of
 * growing sleeps as `busyPauseMs`, so nothing is lost by polling from a timer instead.
 */
export const SYNC_BUSY_MS = 0;

/** Pauses between attempts, ms: short first (most locks are held for a millisecond), then 25 ms. */
const PAUSES_MS = [1, 2, 5, 10, 15, 20, 25];

/** True for SQLITE_BUSY and SQLITE_LOCKED, extended codes included: the call did nothing and may be retried. */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** The pause before retry `attempt` (1-based), ms. */
export function busyPauseMs(attempt: number): number {
  return PAUSES_MS[Math.min(attempt, PAUSES_MS.length) - 1] ?? 25;
}

/**
 * Runs `fn` again while SQLite answers busy, for at most `budgetMs`, sleeping synchronously with
 * Atomics.wait. Only for opening (a constructor cannot await): switching a fresh file to WAL needs
 * a moment of exclusive access when several processes open it at once.
 */
export function retryWhileBusySync<T>(budgetMs: number, fn: () => T): T {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, busyPauseMs(attempt));
    }
  }
}

/**
 * Runs `fn` (one synchronous SQLite call or transaction) and, while it answers busy, again after
 * a timer, for at most `budgetMs`: the event loop keeps serving everyone else meanwhile. `fn`
 * must be safe to repeat after a busy answer, which holds for a single statement and for a
 * `.immediate()` transaction (SQLite refused it before doing anything). `beforeAttempt` runs
 * ahead of each attempt (a closed connection throws there).
 */
export async function retryWhileBusy<T>(
  budgetMs: number,
  fn: () => T,
  beforeAttempt?: () => void,
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt++) {
    beforeAttempt?.();
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
    }
    const pause = Math.min(busyPauseMs(attempt), Math.max(1, deadline - Date.now()));
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
