/**
 * A Map whose entries leave after a fixed retention, oldest first, with a hard size cap.
 * Entries are inserted in virtual-time order with one TTL per map, so the eviction times are
 * monotonic in insertion order: sweeping stops at the first entry still to keep, O(evicted).
 * This is what keeps a long run with many token fetches and logins bounded in memory.
 */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; evictAt: number }>();
  readonly #retentionMs: number;
  readonly #maxEntries: number;

  constructor(retentionMs: number, maxEntries: number) {
    this.#retentionMs = retentionMs;
    this.#maxEntries = maxEntries;
  }

  set(key: string, value: V, now: number): void {
    this.sweep(now);
    this.#entries.set(key, { value, evictAt: now + this.#retentionMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  get(key: string): V | undefined {
    return this.#entries.get(key)?.value;
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Drops every entry whose retention is over. */
  sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.evictAt > now) break;
      this.#entries.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
