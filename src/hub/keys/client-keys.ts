import { randomBytes } from 'node:crypto';
import type { ClientKeyRecord, Database, RateLimit, Scope } from '../../db/index.js';
import { SCOPES } from '../../db/index.js';
import { WxhubError } from '../../errors/index.js';
import { type Clock, systemClock } from '../../util/clock.js';
import { generateClientKey, hashKeySecret, parseClientKey, sameKeySecret } from './client-key-format.js';

export interface NewClientKey {
  readonly name: string;
  readonly appids: readonly string[];
  readonly scopes: readonly Scope[];
  readonly rateLimit?: RateLimit | null;
}

export interface ClientKeysOptions {
  readonly clock?: Clock;
  /** How long a key read from the database is trusted before re-reading, ms. Default 30000. */
  readonly cacheTtlMs?: number;
  /** How long an unknown id is remembered as unknown, ms. Default 5000. */
  readonly missTtlMs?: number;
}

interface CacheEntry {
  readonly record: ClientKeyRecord | null;
  readonly until: number;
  /** The secret that matched `record`'s hash, once one has. */
  secret?: string;
}

const MAX_CACHE = 10_000;
/**
 * Stand-ins for what an entry lacks (no record: an unknown id; no secret matched yet), of the
 * same length as the real thing, so every wrong secret costs the same work (see `#check`).
 * Random per process: nobody can present them.
 */
const DUMMY_SECRET = randomBytes(32).toString('base64url');
const DUMMY_HASH = hashKeySecret(randomBytes(32).toString('base64url'));

/**
 * Client keys: creation (the key is returned once, only its hash is stored), listing, revocation
 * and verification. Verified records are cached briefly so the hot path does not read the
 * database per request; a revocation here drops the cache entry at once, a revocation by another
 * process is seen within `cacheTtlMs`.
 */
export class ClientKeys {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #missTtlMs: number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #loading = new Map<string, Promise<ClientKeyRecord | null>>();

  constructor(database: Database, options: ClientKeysOptions = {}) {
    this.#db = database;
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = options.cacheTtlMs ?? 30_000;
    this.#missTtlMs = options.missTtlMs ?? 5_000;
  }

  /** Creates a key; the returned `key` is the only time the full key exists outside the caller. */
  async create(input: NewClientKey): Promise<{ key: string; record: ClientKeyRecord }> {
    const scopes = [...new Set(input.scopes)];
    for (const scope of scopes) {
      if (!SCOPES.includes(scope))
        throw new WxhubError(
          'WXHUB_ERR_INVALID_ARGUMENT',
          `scope "${scope}" is not one of ${SCOPES.join(', ')}`,
        );
    }
    if (scopes.length === 0)
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'scopes: at least one scope is required');
    const appids = [...new Set(input.appids)];
    if (appids.length === 0 && !scopes.includes('admin'))
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        'appids: at least one appid is required (or the admin scope)',
      );
    for (const appid of appids) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(appid))
        throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `appid "${appid}" must be 1-64 of [A-Za-z0-9_-]`);
    }
    const { id, secret, key } = generateClientKey();
    const record: ClientKeyRecord = {
      id,
      name: input.name,
      secretHash: hashKeySecret(secret),
      appids,
      scopes,
      rateLimit: input.rateLimit ?? null,
      createdAt: this.#clock.now(),
      revokedAt: null,
    };
    await this.#db.keys.insert(record);
    return { key, record };
  }

  list(): Promise<ClientKeyRecord[]> {
    return this.#db.keys.list();
  }

  /** Revokes a key; false when it is unknown or already revoked. Accepts the id or the full key. */
  async revoke(idOrKey: string): Promise<boolean> {
    const id = parseClientKey(idOrKey)?.id ?? idOrKey;
    const done = await this.#db.keys.revoke(id, this.#clock.now());
    this.#cache.delete(id);
    return done;
  }

  /**
   * The active record a presented key belongs to, or null (malformed, unknown, wrong secret,
   * revoked). The secret is compared in constant time, and an unknown id is compared against a
   * dummy hash, so timing tells nothing about which ids exist.
   */
  async verify(presented: string): Promise<ClientKeyRecord | null> {
    const parsed = parseClientKey(presented);
    if (!parsed) return null;
    return this.#check(await this.#entry(parsed.id), parsed.secret);
  }

  /**
   * verify() when the key's record is in the cache, without waiting; `undefined` when only the
   * database can tell (then call verify()).
   */
  verifyCached(presented: string): ClientKeyRecord | null | undefined {
    const parsed = parseClientKey(presented);
    if (!parsed) return null;
    const hit = this.#fresh(parsed.id);
    return hit ? this.#check(hit, parsed.secret) : undefined;
  }

  /** The record of a key id through the cache (revoked ones included), or null. */
  async lookup(id: string): Promise<ClientKeyRecord | null> {
    return (await this.#entry(id)).record;
  }

  /** lookup() when the record is in the cache, without waiting; `undefined` otherwise. */
  lookupCached(id: string): ClientKeyRecord | null | undefined {
    return this.#fresh(id)?.record;
  }

  /** The cache entry of a key id while it is still good. */
  #fresh(id: string): CacheEntry | undefined {
    const hit = this.#cache.get(id);
    return hit && this.#clock.now() < hit.until ? hit : undefined;
  }

  async #entry(id: string): Promise<CacheEntry> {
    const hit = this.#fresh(id);
    if (hit) return hit;
    let pending = this.#loading.get(id);
    if (!pending) {
      pending = this.#db.keys.get(id).finally(() => this.#loading.delete(id));
      this.#loading.set(id, pending);
    }
    const record = await pending;
    if (this.#cache.size >= MAX_CACHE) this.#cache.clear();
    const entry = { record, until: this.#clock.now() + (record ? this.#ttlMs : this.#missTtlMs) };
    this.#cache.set(id, entry);
    return entry;
  }

  /**
   * A SHA-256 per request cost the token route a fifth of its time (docs/benchmarks.md), so once
   * a secret has matched the stored hash the entry remembers it, in this process's memory only
   * and for the entry's life, and the next request with it is one constant-time comparison.
   *
   * Any other secret costs the same whatever the id: that comparison (with a dummy when nothing
   * matched yet or the id is unknown), one hash, one comparison of hashes (with a dummy hash for
   * an unknown id). Before, a wrong secret for a recently used id skipped the hash, and the 7 µs
   * told which ids were in use. Only the right secret of a recently used key is faster, which
   * tells its holder nothing new.
   */
  #check(entry: CacheEntry, secret: string): ClientKeyRecord | null {
    const { record } = entry;
    if (sameKeySecret(entry.secret ?? DUMMY_SECRET, secret)) return active(record);
    const same = sameKeySecret(record?.secretHash ?? DUMMY_HASH, hashKeySecret(secret));
    if (!same || !record) return null;
    entry.secret = secret;
    return active(record);
  }
}

function active(record: ClientKeyRecord | null): ClientKeyRecord | null {
  return record && record.revokedAt === null ? record : null;
}
