import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { WxhubError } from '../errors/index.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Reads a 32-byte key written as 64 hex digits or base64 / base64url (padding optional). Rejects
 * with `WXHUB_ERR_INVALID_CONFIG` naming `oauth.encryptionKey`, never echoing the value.
 */
export function parseEncryptionKey(text: string, where = 'oauth.encryptionKey'): Buffer {
  const value = typeof text === 'string' ? text.trim() : '';
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) key = Buffer.from(value.replace(/=$/, ''), 'base64url');
  if (!key || key.length !== 32)
    throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', `${where} must be 32 bytes as 64 hex digits or base64`);
  return key;
}

/**
 * Seals short secrets (web access tokens, refresh tokens) for the database with AES-256-GCM: a
 * random 96-bit IV per value, the 128-bit tag, and associated data naming the row and field, so a
 * sealed value copied into another row does not open. Format: `v1.<key id>.<base64url(iv|ct|tag)>`,
 * where the key id (8 hex digits of the key's SHA-256) tells which key sealed it.
 */
export class TokenCipher {
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (!Buffer.isBuffer(key) || key.length !== 32)
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'key must be a 32-byte Buffer');
    this.#key = Buffer.from(key);
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /** `plaintext` sealed, bound to `context` (e.g. `web:APPID:OPENID`). */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const packed = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    return `${VERSION}.${this.keyId}.${packed}`;
  }

  /**
   * The plaintext of a sealed value, or null when it cannot be opened: absent, another key,
   * another context, or tampered with. Callers then treat the secret as gone (log in again).
   */
  open(sealed: string | null | undefined, context: string): string | null {
    if (typeof sealed !== 'string') return null;
    const [version, keyId, packed] = sealed.split('.');
    if (version !== VERSION || keyId !== this.keyId || !packed) return null;
    const raw = Buffer.from(packed, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return null;
    }
  }
}

/** The key id a sealed value names (which key sealed it), or undefined when it is not one. */
export function sealedKeyId(sealed: string): string | undefined {
  const [version, keyId] = sealed.split('.');
  return version === VERSION && keyId && /^[0-9a-f]{8}$/.test(keyId) ? keyId : undefined;
}

/** The associated data of a sealed token: which secret of which identity. */
export function tokenContext(kind: 'web' | 'refresh', appid: string, openid: string): string {
  return `wxhub:${kind}:${appid}:${openid}`;
}
