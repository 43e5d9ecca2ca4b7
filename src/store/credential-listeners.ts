/**
 * The credential listeners of one store instance. A listener that throws must not turn a
 * successful write into a failed one, nor starve the other listeners: its error becomes a
 * process warning.
 */
export class CredentialListeners {
  readonly #listeners = new Set<{ fn: (key: string) => void }>();

  get size(): number {
    return this.#listeners.size;
  }

  /** Adds `fn`; the returned function removes exactly this subscription (idempotent). */
  add(fn: (key: string) => void, onEmpty?: () => void): () => void {
    const entry = { fn };
    this.#listeners.add(entry);
    return () => {
      if (this.#listeners.delete(entry) && this.#listeners.size === 0) onEmpty?.();
    };
  }

  emit(key: string): void {
    for (const { fn } of [...this.#listeners]) {
      try {
        fn(key);
      } catch (err) {
        process.emitWarning(
          `wxhub store: a credential listener threw: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
