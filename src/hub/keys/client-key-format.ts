import * as crypto from 'node:crypto';

/**
 * A client key: `wxk_<id>_<secret>`, where `id` is 16 hex characters (the public part, the
 * database's primary key) and `secret` is 32 random bytes in base64url. Only `[A-Za-z0-9_-]`,
 * because legacy code pastes keys into query strings (`secret=`, `access_token=`) unencoded.
 */
export interface ParsedClientKey {
  readonly id: string;
  readonly secret: string;
}

const KEY = /^wxk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A fresh key: the full string (shown once) and its parts. */
export function generateClientKey(): ParsedClientKey & { readonly key: string } {
  const id = crypto.randomBytes(8).toString('hex');
  const secret = crypto.randomBytes(32).toString('base64url');
  return { id, secret, key: `wxk_${id}_${secret}` };
}

/** The parts of a well-formed key, or null for anything else (a WeChat token, a stand-in, junk). */
export function parseClientKey(value: string): ParsedClientKey | null {
  const match = KEY.exec(value);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

/** True when a value has the shape of a client key (cheap; proves nothing about validity). */
export function looksLikeClientKey(value: string): boolean {
  return value.startsWith('wxk_');
}

/** `crypto.hash` (Node 20.12+): a one-shot digest, a third of `createHash()`'s cost per request. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** What the database keeps: SHA-256 of the secret part (high-entropy input, so a fast hash). */
export function hashKeySecret(secret: string): string {
  return oneShotHash
    ? oneShotHash('sha256', secret, 'hex')
    : crypto.createHash('sha256').update(secret).digest('hex');
}

/**
 * Compares two client-key secrets (or two of their hex hashes) in time that depends on their
 * length only (which is public: every secret is 43 characters, every hash 64), without
 * allocating. Secrets of any length (an appsecret) go through drop-in-credentials.ts'
 * `sameSecret`, which hashes first.
 */
export function sameKeySecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
