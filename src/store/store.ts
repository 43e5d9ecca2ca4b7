/**
 * The one storage interface behind the token engine, the hub and the login flow. Every backend
 * (memory, sqlite, redis, postgres) keeps the same semantics, proven by one contract test suite
 * (test/store/contract.ts) run against each.
 */

/** A versioned credential (access token, ticket) shared by every process on one store. */
export interface CredentialRecord {
  readonly value: string;
  /** Epoch ms after which WeChat no longer accepts it. */
  readonly expiresAt: number;
  /** Epoch ms when it was fetched from WeChat. */
  readonly fetchedAt: number;
  /** Bumped by every write; starts at 1. */
  readonly version: number;
}

export type CredentialInput = Omit<CredentialRecord, 'version'>;

export type StoreKind = 'memory' | 'sqlite' | 'redis' | 'postgres';

export interface Store {
  readonly kind: StoreKind;

  /** The stored credential under `key`, or null. */
  getCredential(key: string): Promise<CredentialRecord | null>;
  /**
   * Writes `next` only if the stored version equals `expectedVersion` (0: no record yet).
   * Resolves the written record, or null when another writer got there first.
   */
  compareAndSetCredential(
    key: string,
    expectedVersion: number,
    next: CredentialInput,
  ): Promise<CredentialRecord | null>;
  deleteCredential(key: string): Promise<void>;

  /**
   * Takes the lease `name` for `owner` for `ttlMs`. True when taken, or when `owner` already
   * holds it (the TTL is then renewed). A holder that dies loses it when the TTL runs out.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases the lease only if `owner` holds it; true when it did. */
  releaseLease(name: string, owner: string): Promise<boolean>;

  /**
   * Adds `by` to the counter `name` in `window` (e.g. a day, `2026-11-21`) and resolves the new
   * total. Windows are independent; old ones are dropped after `ttlMs` (default 2 days).
   */
  incrementCounter(name: string, window: string, by?: number, ttlMs?: number): Promise<number>;
  getCounter(name: string, window: string): Promise<number>;

  /** Stores a single-use value for `ttlMs`; false (and nothing written) if `key` is present. */
  putOnce(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Atomically reads and deletes a single-use value; null if absent or expired. */
  takeOnce(key: string): Promise<string | null>;

  /**
   * Writes (or overwrites) a document under `key` for `ttlMs`: the storage of the OpenID Connect
   * provider (sessions, codes, tokens), shared by a fleet. Documents live in the keyspace of the
   * single-use keys, so callers give them a prefix of their own.
   */
  setDocument(key: string, value: string, ttlMs: number): Promise<void>;
  /** The document under `key`, or null when absent or expired (reading does not use it up). */
  getDocument(key: string): Promise<string | null>;
  /** Deletes the document under `key` (nothing when absent). */
  deleteDocument(key: string): Promise<void>;

  /**
   * Subscribes to credential writes made by any process on this store; the listener gets the key.
   * Resolves an unsubscribe function. Backends without push poll cheaply (documented per store).
   */
  watchCredentials(listener: (key: string) => void): Promise<() => void>;

  close(): Promise<void>;
}
