/**
 * The `watch` listeners of one event log instance. Wake-ups are hints (the listener re-reads the
 * log), so a listener that throws only loses its own wake-up: its error becomes a process
 * warning and the others still run.
 */
export class LogWatchers {
  readonly #listeners = new Set<{ readonly fn: () => void }>();

  get size(): number {
    return this.#listeners.size;
  }

  /** Adds `fn`; the returned function removes exactly this subscription (idempotent). */
  add(fn: () => void, onEmpty?: () => void): () => void {
    const entry = { fn };
    this.#listeners.add(entry);
    return () => {
      if (this.#listeners.delete(entry) && this.#listeners.size === 0) onEmpty?.();
    };
  }

  wake(): void {
    for (const { fn } of [...this.#listeners]) {
      try {
        fn();
      } catch (err) {
        process.emitWarning(
          `wxhub event log: a watch listener threw: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}

/**
 * Watchers woken through a store's channel (Redis pub/sub, PostgreSQL LISTEN): the channel is
 * subscribed on the first `add` (again after a failure) and left on `close`.
 */
export class ChannelWatchers {
  readonly #watchers = new LogWatchers();
  readonly #subscribe: (wake: () => void) => Promise<() => void>;
  #subscribed: Promise<() => void> | undefined;

  /** `subscribe(wake)` listens to the channel and resolves how to stop. */
  constructor(subscribe: (wake: () => void) => Promise<() => void>) {
    this.#subscribe = subscribe;
  }

  async add(listener: () => void): Promise<() => void> {
    this.#subscribed ??= this.#subscribe(() => this.#watchers.wake()).catch((err: unknown) => {
      this.#subscribed = undefined;
      throw err;
    });
    await this.#subscribed;
    return this.#watchers.add(listener);
  }

  async close(): Promise<void> {
    this.#watchers.clear();
    const subscribed = this.#subscribed;
    this.#subscribed = undefined;
    (await subscribed?.catch(() => undefined))?.();
  }
}
