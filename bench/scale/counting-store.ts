import type { CredentialInput, CredentialRecord, Store } from '../../src/store/store.js';

/** The Store methods the token engine calls, counted by `CountingStore`. */
export const STORE_OPS = [
  'getCredential',
  'compareAndSetCredential',
  'deleteCredential',
  'acquireLease',
  'releaseLease',
  'incrementCounter',
  'getCounter',
  'putOnce',
  'takeOnce',
  'setDocument',
  'getDocument',
  'deleteDocument',
] as const;
export type StoreOp = (typeof STORE_OPS)[number];

/** A Store that forwards every call to another and counts them by method. */
export class CountingStore implements Store {
  readonly counts: Record<StoreOp, number> = Object.fromEntries(STORE_OPS.map((op) => [op, 0])) as Record<
    StoreOp,
    number
  >;

  constructor(readonly inner: Store) {}

  get kind() {
    return this.inner.kind;
  }

  /** Total calls so far. */
  total(): number {
    let sum = 0;
    for (const op of STORE_OPS) sum += this.counts[op];
    return sum;
  }

  /** A copy of the counts, to subtract later. */
  snapshot(): Record<StoreOp, number> {
    return { ...this.counts };
  }

  getCredential(key: string): Promise<CredentialRecord | null> {
    this.counts.getCredential++;
    return this.inner.getCredential(key);
  }
  compareAndSetCredential(
    key: string,
    expected: number,
    next: CredentialInput,
  ): Promise<CredentialRecord | null> {
    this.counts.compareAndSetCredential++;
    return this.inner.compareAndSetCredential(key, expected, next);
  }
  deleteCredential(key: string): Promise<void> {
    this.counts.deleteCredential++;
    return this.inner.deleteCredential(key);
  }
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.counts.acquireLease++;
    return this.inner.acquireLease(name, owner, ttlMs);
  }
  releaseLease(name: string, owner: string): Promise<boolean> {
    this.counts.releaseLease++;
    return this.inner.releaseLease(name, owner);
  }
  incrementCounter(name: string, window: string, by?: number, ttlMs?: number): Promise<number> {
    this.counts.incrementCounter++;
    return this.inner.incrementCounter(name, window, by, ttlMs);
  }
  getCounter(name: string, window: string): Promise<number> {
    this.counts.getCounter++;
    return this.inner.getCounter(name, window);
  }
  putOnce(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.counts.putOnce++;
    return this.inner.putOnce(key, value, ttlMs);
  }
  takeOnce(key: string): Promise<string | null> {
    this.counts.takeOnce++;
    return this.inner.takeOnce(key);
  }
  setDocument(key: string, value: string, ttlMs: number): Promise<void> {
    this.counts.setDocument++;
    return this.inner.setDocument(key, value, ttlMs);
  }
  getDocument(key: string): Promise<string | null> {
    this.counts.getDocument++;
    return this.inner.getDocument(key);
  }
  deleteDocument(key: string): Promise<void> {
    this.counts.deleteDocument++;
    return this.inner.deleteDocument(key);
  }
  watchCredentials(listener: (key: string) => void): Promise<() => void> {
    return this.inner.watchCredentials(listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
