import type { Store } from '../store/store.js';

/**
 * One subscription to a store's credential writes, shared by everything in a process that waits
 * for a key to change (callers parked behind another process's refresh, the local cache).
 */
export class ChangeFeed {
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #listeners = new Set<(key: string) => void>();
  #unsubscribe: (() => void) | undefined;
  #starting: Promise<void> | undefined;

  constructor(private readonly store: Store) {}

  /** Subscribes to the store once; safe to call many times. */
  start(): Promise<void> {
    this.#starting ??= this.store
      .watchCredentials((key) => this.#emit(key))
      .then((unsubscribe) => {
        this.#unsubscribe = unsubscribe;
      });
    return this.#starting;
  }

  /** Calls `listener` with the key of every credential written by any process. */
  onChange(listener: (key: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves when `key` is written, or after `timeoutMs`, whichever comes first. */
  waitFor(key: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(key) ?? new Set<() => void>();
      this.#waiters.set(key, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiters.get(key) === waiters) this.#waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      waiters.add(done);
    });
  }

  close(): void {
    this.#unsubscribe?.();
    this.#listeners.clear();
    for (const set of this.#waiters.values()) for (const done of [...set]) done();
  }

  #emit(key: string): void {
    for (const listener of this.#listeners) listener(key);
    const set = this.#waiters.get(key);
    if (set) for (const done of [...set]) done();
  }
}
