/**
 * Runs `fn` again while SQLite answers SQLITE_BUSY or SQLITE_LOCKED, for at most `budgetMs`:
 * switching a fresh file to WAL needs a moment of exclusive access when several processes open it.
 * Synchronous (better-sqlite3 is), so it sleeps with Atomics.wait rather than a timer.
 */
export function retryWhileBusy<T>(budgetMs: number, fn: () => T): T {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') || Date.now() >= deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
