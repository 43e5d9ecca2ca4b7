import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { parseEncryptionKey, TokenCipher, tokenContext } from '../../src/oauth/index.js';

describe('TokenCipher (AES-256-GCM at rest)', () => {
  const cipher = new TokenCipher(randomBytes(32));
  const ctx = tokenContext('web', 'wx1', 'o1');

  it('seals and opens; the sealed form never contains the plaintext and differs each time', () => {
    const token = `web_${randomBytes(60).toString('base64url')}`;
    const a = cipher.seal(token, ctx);
    const b = cipher.seal(token, ctx);
    expect(a).toMatch(new RegExp(`^v1\\.${cipher.keyId}\\.[A-Za-z0-9_-]+$`));
    expect(a).not.toContain(token);
    expect(a).not.toBe(b);
    expect(cipher.open(a, ctx)).toBe(token);
    expect(cipher.open(b, ctx)).toBe(token);
  });

  it('refuses another context, another key, a tampered value or garbage', () => {
    const sealed = cipher.seal('secret-token', ctx);
    expect(cipher.open(sealed, tokenContext('web', 'wx1', 'o2'))).toBeNull();
    expect(cipher.open(sealed, tokenContext('refresh', 'wx1', 'o1'))).toBeNull();
    expect(new TokenCipher(randomBytes(32)).open(sealed, ctx)).toBeNull();
    const body = sealed.split('.')[2]!;
    const flipped = `${body.slice(0, 20)}${body[20] === 'A' ? 'B' : 'A'}${body.slice(21)}`;
    expect(cipher.open(`v1.${cipher.keyId}.${flipped}`, ctx)).toBeNull();
    expect(cipher.open('v1.x', ctx)).toBeNull();
    expect(cipher.open(null, ctx)).toBeNull();
    expect(cipher.open(`v1.${cipher.keyId}.AAAA`, ctx)).toBeNull();
  });

  it('reads keys as hex or base64 (32 bytes), refusing others without echoing them', () => {
    const raw = randomBytes(32);
    expect(parseEncryptionKey(raw.toString('hex')).equals(raw)).toBe(true);
    expect(parseEncryptionKey(raw.toString('base64')).equals(raw)).toBe(true);
    expect(parseEncryptionKey(raw.toString('base64url')).equals(raw)).toBe(true);
    const short = randomBytes(16).toString('hex');
    let err: unknown;
    try {
      parseEncryptionKey(short);
    } catch (e) {
      err = e;
    }
    expect(isWxhubError(err, 'WXHUB_ERR_INVALID_CONFIG')).toBe(true);
    expect(String((err as Error).message)).not.toContain(short);
    expect(() => new TokenCipher(randomBytes(16))).toThrow(/32-byte/);
  });
});
