import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SECRETS_KEY_ENV, SecretBox } from '../../src/accounts/index.js';
import { isWxhubError } from '../../src/errors/index.js';

const APPID = 'wx0123456789abcdef';
const SECRET = '0123456789abcdef0123456789abcdef';

describe('SecretBox', () => {
  it('seals an appsecret so it opens again for the same appid only, never showing it', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal(APPID, SECRET);
    expect(sealed).toMatch(new RegExp(`^v1\\.${box.keyId}\\.`));
    expect(sealed).not.toContain(SECRET);
    expect(box.seal(APPID, SECRET)).not.toBe(sealed);
    expect(box.open(APPID, sealed)).toBe(SECRET);
    const copied = (() => {
      try {
        box.open('wxfedcba9876543210', sealed);
      } catch (err) {
        return err;
      }
    })();
    expect(isWxhubError(copied, 'WXHUB_ERR_SECRETS_KEY')).toBe(true);
    expect(String((copied as Error).message)).not.toContain(SECRET);
  });

  it('refuses another key with WXHUB_ERR_SECRETS_KEY naming both key ids and no secret', () => {
    const sealer = new SecretBox(randomBytes(32));
    const other = new SecretBox(randomBytes(32));
    const sealed = sealer.seal(APPID, SECRET);
    let err: unknown;
    try {
      other.open(APPID, sealed);
    } catch (e) {
      err = e;
    }
    expect(isWxhubError(err, 'WXHUB_ERR_SECRETS_KEY')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain(sealer.keyId);
    expect(message).toContain(other.keyId);
    expect(message).not.toContain(SECRET);
  });

  it('refuses a tampered value', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal(APPID, SECRET);
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${sealed.slice(0, -2)}${last}${sealed.at(-1)}`;
    expect(() => box.open(APPID, tampered)).toThrow(/does not open/);
  });

  it('reads the key from secretsKey, else WXHUB_SECRET_KEY; none is null; a malformed one names its source', () => {
    const key = randomBytes(32);
    const fromConfig = SecretBox.fromConfig({ secretsKey: key.toString('hex') }, {});
    const fromEnv = SecretBox.fromConfig({}, { [SECRETS_KEY_ENV]: key.toString('base64') });
    expect(fromConfig?.keyId).toBe(fromEnv?.keyId);
    expect(SecretBox.fromConfig({}, {})).toBeNull();
    let err: unknown;
    try {
      SecretBox.fromConfig({}, { [SECRETS_KEY_ENV]: 'short-and-secret' });
    } catch (e) {
      err = e;
    }
    expect(isWxhubError(err, 'WXHUB_ERR_INVALID_CONFIG')).toBe(true);
    expect((err as Error).message).toContain(SECRETS_KEY_ENV);
    expect((err as Error).message).not.toContain('short-and-secret');
  });
});
