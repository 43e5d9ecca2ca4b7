import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Database } from '../db/index.js';
import type { TokenCipher } from '../oauth/token-cipher.js';
import type { Clock } from '../util/clock.js';
import { SealedSetting } from './sealed-setting.js';

/** The settings row of the provider's signing keys. */
export const SIGNING_KEYS_SETTING = 'oidc.signing_keys';
/** Keys published at once: the signing one and the ones it replaced (tokens they signed still verify). */
const PUBLISHED_KEYS = 3;

/** A private RSA JWK (RS256, the algorithm every relying party supports) with its id and birth. */
export interface SigningJwk {
  readonly kty: 'RSA';
  readonly kid: string;
  readonly alg: 'RS256';
  readonly use: 'sig';
  readonly n: string;
  readonly e: string;
  readonly d: string;
  readonly p: string;
  readonly q: string;
  readonly dp: string;
  readonly dq: string;
  readonly qi: string;
  /** Epoch ms. Not a JWK member: dropped before the key reaches oidc-provider. */
  readonly created_at: number;
}

interface KeySet {
  /** Newest (the signing key) first. */
  readonly keys: SigningJwk[];
}

/** A new 2048-bit RSA signing key. */
export function newSigningKey(clock: Clock): SigningJwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as Omit<SigningJwk, 'kid' | 'alg' | 'use' | 'created_at'>;
  return {
    ...jwk,
    kty: 'RSA',
    kid: randomBytes(12).toString('base64url'),
    alg: 'RS256',
    use: 'sig',
    created_at: clock.now(),
  };
}

/**
 * The provider's signing keys (JWKS), generated once for the fleet and kept in the database
 * settings, sealed. The first key signs; `rotate()` puts a new one first and keeps the last
 * ones published, so ID tokens signed before the rotation still verify.
 */
export class SigningKeys {
  readonly #setting: SealedSetting<KeySet>;
  readonly #clock: Clock;

  constructor(database: Database, cipher: TokenCipher, clock: Clock) {
    this.#setting = new SealedSetting(database, cipher, SIGNING_KEYS_SETTING);
    this.#clock = clock;
  }

  /** The keys, newest first, created on first use. */
  async load(): Promise<readonly SigningJwk[]> {
    return (await this.#setting.getOrCreate(() => this.#fresh())).keys;
  }

  /** The sealed row as stored (changes whenever the keys do). */
  version(): Promise<string | null> {
    return this.#setting.raw();
  }

  /** Makes a new key the signing key; the previous ones stay published (up to 3 in all). */
  async rotate(): Promise<readonly SigningJwk[]> {
    const next = await this.#setting.update(
      () => this.#fresh(),
      (current) => ({ keys: [newSigningKey(this.#clock), ...current.keys].slice(0, PUBLISHED_KEYS) }),
    );
    return next.keys;
  }

  #fresh(): KeySet {
    return { keys: [newSigningKey(this.#clock)] };
  }
}

/** The keys as oidc-provider's `jwks` option takes them (JWK members only). */
export function providerJwks(keys: readonly SigningJwk[]): { keys: Omit<SigningJwk, 'created_at'>[] } {
  return { keys: keys.map(({ created_at: _, ...jwk }) => jwk) };
}
