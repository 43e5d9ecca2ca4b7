import { WxhubError } from '../errors/index.js';
import { type Clock, systemClock } from '../util/clock.js';
import { CredentialListeners } from './credential-listeners.js';
import type { CredentialInput, CredentialRecord, Store } from './store.js';
import { checkCompareAndSet, checkInteger, checkName, checkString, checkTtl } from './validate.js';

const DAY_MS = 86_400_000;

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/**
 * The reference Store: one process, nothing persisted. Useful for tests and for an SDK that runs
 * in a single process; every other backend must behave exactly like it.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #clock: Clock;
  readonly #credentials = new Map<string, CredentialRecord>();
  readonly #leases = new Map<string, Expiring<string>>();
  readonly #counters = new Map<string, Expiring<number>>();
  readonly #once = new Map<string, Expiring<string>>();
  readonly #listeners = new CredentialListeners();

  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async getCredential(key: string): Promise<CredentialRecord | null> {
    checkName('key', key);
    return this.#credentials.get(key) ?? null;
  }

  async compareAndSetCredential(
    key: string,
    expectedVersion: number,
    next: CredentialInput,
  ): Promise<CredentialRecord | null> {
    checkCompareAndSet(key, expectedVersion, next);
    const current = this.#credentials.get(key);
    if ((current?.version ?? 0) !== expectedVersion) return null;
    const record: CredentialRecord = {
      value: next.value,
      expiresAt: next.expiresAt,
      fetchedAt: next.fetchedAt,
      version: expectedVersion + 1,
    };
    this.#credentials.set(key, record);
    this.#listeners.emit(key);
    return record;
  }

  async deleteCredential(key: string): Promise<void> {
    checkName('key', key);
    if (this.#credentials.delete(key)) this.#listeners.emit(key);
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkName('name', name);
    checkName('owner', owner);
    checkTtl('ttlMs', ttlMs);
    const held = this.#live(this.#leases, name);
    if (held && held.value !== owner) return false;
    this.#leases.set(name, { value: owner, expiresAt: this.#clock.now() + ttlMs });
    return true;
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    checkName('name', name);
    checkName('owner', owner);
    const held = this.#live(this.#leases, name);
    if (!held || held.value !== owner) return false;
    this.#leases.delete(name);
    return true;
  }

  async incrementCounter(name: string, window: string, by = 1, ttlMs = 2 * DAY_MS): Promise<number> {
    checkName('name', name);
    checkName('window', window);
    checkInteger('by', by);
    checkTtl('ttlMs', ttlMs);
    const key = `${name}\u0000${window}`;
    const total = (this.#live(this.#counters, key)?.value ?? 0) + by;
    this.#counters.set(key, { value: total, expiresAt: this.#clock.now() + ttlMs });
    return total;
  }

  async getCounter(name: string, window: string): Promise<number> {
    checkName('name', name);
    checkName('window', window);
    return this.#live(this.#counters, `${name}\u0000${window}`)?.value ?? 0;
  }

  async putOnce(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkName('key', key);
    checkString('value', value);
    checkTtl('ttlMs', ttlMs);
    if (this.#live(this.#once, key)) return false;
    this.#once.set(key, { value, expiresAt: this.#clock.now() + ttlMs });
    return true;
  }

  async takeOnce(key: string): Promise<string | null> {
    checkName('key', key);
    const entry = this.#live(this.#once, key);
    this.#once.delete(key);
    return entry?.value ?? null;
  }

  async setDocument(key: string, value: string, ttlMs: number): Promise<void> {
    checkName('key', key);
    checkString('value', value);
    checkTtl('ttlMs', ttlMs);
    this.#once.set(key, { value, expiresAt: this.#clock.now() + ttlMs });
  }

  async getDocument(key: string): Promise<string | null> {
    checkName('key', key);
    return this.#live(this.#once, key)?.value ?? null;
  }

  async deleteDocument(key: string): Promise<void> {
    checkName('key', key);
    this.#once.delete(key);
  }

  async watchCredentials(listener: (key: string) => void): Promise<() => void> {
    if (typeof listener !== 'function')
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'listener must be a function');
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }

  /** The entry if present and not expired; expired entries are dropped on the way. */
  #live<T>(map: Map<string, Expiring<T>>, key: string): Expiring<T> | undefined {
    const entry = map.get(key);
    if (entry && entry.expiresAt <= this.#clock.now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }
}
