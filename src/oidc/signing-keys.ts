import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Database } from '../db/index.js';
import type { TokenCipher } from '../oauth/token-cipher.js';
import type { Clock } from '../util/clock.js';
import { SealedSetting } from './sealed-setting.js';

/** The settings row of the provider's signing keys. */
export const SIGNING_KEYS_SETTING = 'oidc.signing_keys';
/** Keys of each algorithm published at once: the signing one and the ones it replaced (tokens they signed still verify). */
const PUBLISHED_KEYS = 3;

/** The ID token algorithms the provider signs with; RS256 is the default (OpenID Connect Core 15.1). */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

interface JwkMeta {
  readonly kid: string;
  readonly use: 'sig';
  /** Epoch ms. Not a JWK member: dropped before the key reaches oidc-provider. */
  readonly created_at: number;
}

/** A private RSA JWK (RS256, the algorithm every relying party supports) with its id and birth. */
export interface RsaSigningJwk extends JwkMeta {
  readonly kty: 'RSA';
  readonly alg: 'RS256';
  readonly n: string;
  readonly e: string;
  readonly d: string;
  readonly p: string;
  readonly q: string;
  readonly dp: string;
  readonly dq: string;
  readonly qi: string;
}

/** A private P-256 JWK (ES256: a signature about five times cheaper than RS256's, for clients that ask). */
export interface EcSigningJwk extends JwkMeta {
  readonly kty: 'EC';
  readonly alg: 'ES256';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly d: string;
}

export type SigningJwk = RsaSigningJwk | EcSigningJwk;

interface KeySet {
  /** Newest first: the first key of each algorithm signs. */
  readonly keys: SigningJwk[];
}

/** A new signing key: RSA 2048 for RS256 (the default), P-256 for ES256. */
export function newSigningKey(clock: Clock, alg: 'RS256'): RsaSigningJwk;
export function newSigningKey(clock: Clock, alg: 'ES256'): EcSigningJwk;
export function newSigningKey(clock: Clock, alg?: SigningAlg): SigningJwk;
export function newSigningKey(clock: Clock, alg: SigningAlg = 'RS256'): SigningJwk {
  const meta = { kid: randomBytes(12).toString('base64url'), use: 'sig' as const, created_at: clock.now() };
  if (alg === 'ES256') {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = privateKey.export({ format: 'jwk' }) as { x: string; y: string; d: string };
    return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d, alg, ...meta };
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as Omit<
    RsaSigningJwk,
    'kty' | 'kid' | 'alg' | 'use' | 'created_at'
  >;
  return { ...jwk, kty: 'RSA', alg: 'RS256', ...meta };
}

/** `keys` with a new key for every algorithm first, and at most `PUBLISHED_KEYS` of each. */
function withNewKeys(clock: Clock, keys: readonly SigningJwk[], algs: readonly SigningAlg[]): KeySet {
  const all = [...algs.map((alg) => newSigningKey(clock, alg)), ...keys];
  const kept = SIGNING_ALGS.flatMap((alg) => all.filter((k) => k.alg === alg).slice(0, PUBLISHED_KEYS));
  return { keys: all.filter((k) => kept.includes(k)) };
}

/** The algorithms `keys` has no key for (a set written before ES256 was offered has only RSA). */
const missingAlgs = (keys: readonly SigningJwk[]) =>
  SIGNING_ALGS.filter((alg) => !keys.some((k) => k.alg === alg));

/**
 * The provider's signing keys (JWKS), generated once for the fleet and kept in the database
 * settings, sealed: one key per algorithm of `SIGNING_ALGS` signs (the first of its algorithm);
 * `rotate()` puts a new one of each first and keeps the last ones published, so ID tokens signed
 * before the rotation still verify. A set from before ES256 gets its P-256 key on first load.
 */
export class SigningKeys {
  readonly #setting: SealedSetting<KeySet>;
  readonly #clock: Clock;

  constructor(database: Database, cipher: TokenCipher, clock: Clock) {
    this.#setting = new SealedSetting(database, cipher, SIGNING_KEYS_SETTING);
    this.#clock = clock;
  }

  /** The keys, newest first, created on first use (and a key added for an algorithm that has none). */
  async load(): Promise<readonly SigningJwk[]> {
    const { keys } = await this.#setting.getOrCreate(() => this.#fresh());
    if (missingAlgs(keys).length === 0) return keys;
    const next = await this.#setting.update(
      () => this.#fresh(),
      (current) => withNewKeys(this.#clock, current.keys, missingAlgs(current.keys)),
    );
    return next.keys;
  }

  /** The sealed row as stored (changes whenever the keys do). */
  version(): Promise<string | null> {
    return this.#setting.raw();
  }

  /** Makes a new key of each algorithm the signing key; the previous ones stay published (up to 3 of each). */
  async rotate(): Promise<readonly SigningJwk[]> {
    const next = await this.#setting.update(
      () => this.#fresh(),
      (current) => withNewKeys(this.#clock, current.keys, SIGNING_ALGS),
    );
    return next.keys;
  }

  #fresh(): KeySet {
    return withNewKeys(this.#clock, [], SIGNING_ALGS);
  }
}

/** The keys as oidc-provider's `jwks` option takes them (JWK members only). */
export function providerJwks(keys: readonly SigningJwk[]): { keys: Record<string, string>[] } {
  return { keys: keys.map(({ created_at: _, ...jwk }) => ({ ...jwk })) };
}
