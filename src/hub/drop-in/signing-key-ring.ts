import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../../db/index.js';
import { WxhubError } from '../../errors/index.js';
import type { Clock } from '../../util/clock.js';

/** One HMAC key for stand-in tokens; `kid` (8 bytes) travels in each token to pick the key. */
export interface SigningKey {
  readonly kid: Buffer;
  readonly secret: Buffer;
}

/** The database setting holding the fleet's keys, newest first. */
export const SIGNING_KEYS_SETTING = 'dropin.signing_keys';
/** A retired key keeps verifying for a stand-in's whole life (7200 s) plus clock skew. */
const RETIRED_KEPT_MS = 7_500_000;
/** At most this often an unknown kid makes the ring re-read the database. */
const RELOAD_GAP_MS = 5_000;

interface StoredKey {
  kid: string;
  secret: string;
  createdAt: number;
  retiredAt: number | null;
}

export type SigningKeySource =
  | { readonly kind: 'config'; readonly current: string; readonly previous: readonly string[] }
  | { readonly kind: 'database'; readonly database: Database; readonly clock: Clock };

/**
 * The keys that sign and verify stand-in tokens. From the configuration (`dropIn.signingKey`,
 * `dropIn.previousSigningKeys`) when set; otherwise from the database, where the first hub to
 * start generates one and every hub sharing the database reads it. A rotation (see
 * `rotateSigningKey`) is picked up by the other hubs when they meet its kid, or within a minute.
 */
export class SigningKeyRing {
  #keys: SigningKey[];
  #loadedAt = 0;
  #reloading: Promise<void> | undefined;

  private constructor(
    private readonly source: SigningKeySource,
    keys: SigningKey[],
  ) {
    this.#keys = keys;
  }

  static async open(source: SigningKeySource): Promise<SigningKeyRing> {
    if (source.kind === 'config') {
      return new SigningKeyRing(source, [source.current, ...source.previous].map(configKey));
    }
    const generated = JSON.stringify([newStoredKey(source.clock.now())]);
    const stored = await source.database.settings.putIfAbsent(SIGNING_KEYS_SETTING, generated);
    const ring = new SigningKeyRing(source, decode(stored));
    ring.#loadedAt = source.clock.now();
    return ring;
  }

  /** The key new stand-ins are signed with. */
  current(): SigningKey {
    return this.#keys[0]!;
  }

  /** True while `key` (an object this ring handed out) is still one of its keys; a reload makes new ones. */
  holds(key: SigningKey): boolean {
    return this.#keys.includes(key);
  }

  /** The key with this kid, re-reading the database (throttled) when none is known. */
  async find(kid: Buffer): Promise<SigningKey | undefined> {
    const known = this.#keys.find((k) => k.kid.equals(kid));
    if (known || this.source.kind === 'config') return known;
    if (this.source.clock.now() - this.#loadedAt < RELOAD_GAP_MS) return undefined;
    await this.reload();
    return this.#keys.find((k) => k.kid.equals(kid));
  }

  /** Re-reads the database's keys (no-op for configured keys). Failures keep the keys held. */
  reload(): Promise<void> {
    const source = this.source;
    if (source.kind === 'config') return Promise.resolve();
    this.#reloading ??= (async () => {
      try {
        const stored = await source.database.settings.get(SIGNING_KEYS_SETTING);
        if (stored) this.#keys = decode(stored);
      } catch {
        // the database is down: keep verifying with the keys we hold
      } finally {
        this.#loadedAt = source.clock.now();
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }
}

/**
 * Rotates the database-kept signing key: a new current key, the old one kept for verification for
 * a stand-in's lifetime (2 h), older retired keys dropped. Resolves the new kid (hex).
 */
export async function rotateSigningKey(database: Database, clock: Clock): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const now = clock.now();
    const stored = await database.settings.get(SIGNING_KEYS_SETTING);
    const fresh = newStoredKey(now);
    const keys = stored ? (JSON.parse(stored) as StoredKey[]) : [];
    const kept = keys
      .map((k) => ({ ...k, retiredAt: k.retiredAt ?? now }))
      .filter((k) => now - k.retiredAt < RETIRED_KEPT_MS);
    const next = JSON.stringify([fresh, ...kept]);
    const written = stored
      ? await database.settings.compareAndSet(SIGNING_KEYS_SETTING, stored, next)
      : (await database.settings.putIfAbsent(SIGNING_KEYS_SETTING, next)) === next;
    if (written) return fresh.kid;
  }
  throw new WxhubError('WXHUB_ERR_INTERNAL', 'signing key rotation kept racing with another writer');
}

function newStoredKey(now: number): StoredKey {
  return {
    kid: randomBytes(8).toString('hex'),
    secret: randomBytes(32).toString('base64url'),
    createdAt: now,
    retiredAt: null,
  };
}

function decode(stored: string): SigningKey[] {
  const keys = (JSON.parse(stored) as StoredKey[]).map((k) => ({
    kid: Buffer.from(k.kid, 'hex'),
    secret: Buffer.from(k.secret, 'base64url'),
  }));
  if (keys.length === 0 || keys.some((k) => k.kid.length !== 8 || k.secret.length < 32))
    throw new WxhubError('WXHUB_ERR_INTERNAL', `database setting ${SIGNING_KEYS_SETTING} is malformed`);
  return keys;
}

/** A configured key's kid is derived from it, so every hub with the same config agrees. */
function configKey(secret: string): SigningKey {
  return {
    kid: createHash('sha256').update(`kid:${secret}`).digest().subarray(0, 8),
    secret: Buffer.from(secret, 'utf8'),
  };
}
