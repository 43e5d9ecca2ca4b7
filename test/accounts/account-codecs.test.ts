import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { sign } from '../../src/gateway/crypto/callback-signature.js';
import { accountCodecs } from '../../src/hub/gateway/account-codecs.js';
import { captureLogs } from '../support/log-capture.js';
import { accountsWorld } from './support/accounts-world.js';

const FILE = 'wx00000000000000f1';
const RUNTIME = 'wx00000000000000d2';
const SECRET = '0123456789abcdef0123456789abcdef';
const NOW = 1_767_222_000;

/** A URL check signed with `token`: the echo when the codec takes it. */
function check(codec: ReturnType<ReturnType<typeof accountCodecs>>, token: string): string | undefined {
  const query = {
    signature: sign(token, String(NOW), '7'),
    timestamp: String(NOW),
    nonce: '7',
    echostr: 'e',
  };
  try {
    return codec?.verifyUrl(query, NOW);
  } catch {
    return undefined;
  }
}

const fileAccounts = (token: string) =>
  parseConfig({ accounts: [{ appid: FILE, secret: SECRET, callback: { token, mode: 'plain' } }] }).accounts;

describe('accountCodecs (the hub gateway looks codecs up in the account registry)', () => {
  it('serves config-file and runtime accounts, one codec per account version, none when disabled or removed', async () => {
    const { registry, admin } = await accountsWorld(fileAccounts('FileToken1'));
    const logs = captureLogs();
    const codec = accountCodecs((appid) => registry.served(appid), 300, logs.logger);
    expect(check(codec(FILE), 'FileToken1')).toBe('e');
    expect(codec(FILE)).toBe(codec(FILE)); // built once while the account is unchanged
    expect(codec(RUNTIME)).toBeUndefined();

    await admin.add({ appid: RUNTIME, secret: SECRET });
    expect(codec(RUNTIME)).toBeUndefined(); // no callback: refused as not configured
    await admin.setCallback(RUNTIME, { token: 'Runtime1', mode: 'plain' });
    const first = codec(RUNTIME);
    expect(check(first, 'Runtime1')).toBe('e');
    await admin.setCallback(RUNTIME, { token: 'Runtime2', mode: 'plain' });
    expect(codec(RUNTIME)).not.toBe(first);
    expect(check(codec(RUNTIME), 'Runtime2')).toBe('e');
    expect(check(codec(RUNTIME), 'Runtime1')).toBeUndefined();

    await admin.disable(RUNTIME);
    expect(codec(RUNTIME)).toBeUndefined();
    await admin.enable(RUNTIME);
    expect(check(codec(RUNTIME), 'Runtime2')).toBe('e');
    await admin.remove(RUNTIME);
    expect(codec(RUNTIME)).toBeUndefined();

    // A file reloaded (SIGHUP) with another Token: the new one is served at once.
    registry.setConfigAccounts(fileAccounts('FileToken2'));
    expect(check(codec(FILE), 'FileToken2')).toBe('e');
    expect(check(codec(FILE), 'FileToken1')).toBeUndefined();
    expect(logs.lines.filter((l) => l.includes('callback not served'))).toEqual([]);
  });

  it('an account whose settings do not build a codec is refused as not configured, logged once without its Token', async () => {
    // The file's schema leaves the Token's format to the codec (a reload does not check it).
    const { registry } = await accountsWorld(fileAccounts('x!'));
    const logs = captureLogs();
    const codec = accountCodecs((appid) => registry.served(appid), 300, logs.logger);
    expect(codec(FILE)).toBeUndefined();
    expect(codec(FILE)).toBeUndefined();
    const lines = logs.lines.filter((l) => l.includes('callback not served'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('WXHUB_ERR_INVALID_CONFIG');
    expect(lines[0]).not.toContain('x!');
  });
});
