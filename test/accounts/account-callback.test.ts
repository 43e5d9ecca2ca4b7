import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AccountRegistry, SecretBox } from '../../src/accounts/index.js';
import { parseConfig } from '../../src/config/index.js';
import { MemoryDatabase } from '../../src/db/index.js';
import { isWxhubError } from '../../src/errors/index.js';
import { captureLogs } from '../support/log-capture.js';
import { accountsWorld, storedRow } from './support/accounts-world.js';

const A = 'wx00000000000000a1';
const CONFIGURED = 'wx00000000000000c3';
const SECRET = '0123456789abcdef0123456789abcdef';
const TOKEN = 'RuntimeToken42';
const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

const world = accountsWorld;

async function refusal(run: () => Promise<unknown>): Promise<Error> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('the callback settings of a runtime account', () => {
  it('are sealed in the row, opened by the registry, changed and removed without a restart', async () => {
    const { database, registry, admin } = await world();
    await admin.add({
      appid: A,
      secret: SECRET,
      callback: { token: TOKEN, encodingAESKey: KEY, mode: 'safe' },
    });
    const row = await database.accounts.get(A);
    expect(row?.sealedCallback).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(JSON.stringify(row)).not.toContain(TOKEN);
    expect(JSON.stringify(row)).not.toContain(KEY);
    expect(registry.get(A)?.callback).toEqual({ token: TOKEN, encodingAESKey: KEY, mode: 'safe' });

    // The mode defaults to safe, which needs the key: refused, and the settings served before stay.
    await expect(admin.setCallback(A, { token: 'Other123' })).rejects.toThrow(/encodingAESKey/);
    expect(registry.get(A)?.callback?.token).toBe(TOKEN);
    await admin.setCallback(A, { token: 'Other123', mode: 'plain' });
    expect(registry.get(A)?.callback).toEqual({ token: 'Other123', mode: 'plain' });
    // A reply subscriber, with WeChat's deadlines defaulted: sealed and served like the rest.
    await admin.setCallback(A, { token: 'Other123', mode: 'plain', reply: { subscriber: 'crm' } });
    expect(registry.get(A)?.callback?.reply).toEqual({
      subscriber: 'crm',
      deadlineMs: 4000,
      lateReplyMs: 60_000,
    });
    await admin.setCallback(A, null);
    expect(registry.get(A)?.callback).toBeUndefined();
    expect((await database.accounts.get(A))?.sealedCallback).toBeNull();
  });

  it('are validated by the configuration schema, the error naming the field and never the value', async () => {
    const { admin } = await world();
    await admin.add({ appid: A, secret: SECRET });
    const cases: [object, RegExp][] = [
      [{ token: 'x!', mode: 'plain' }, /token: must be 3-32 characters/],
      [{ token: TOKEN, mode: 'safe' }, /encodingAESKey: is required in safe mode/],
      [{ token: TOKEN, encodingAESKey: `${KEY}x`, mode: 'compatible' }, /encodingAESKey: must be 43/],
      [{ token: TOKEN, mode: 'secure' }, /mode/],
      [
        { token: TOKEN, mode: 'plain', reply: { subscriber: 'nobody' } },
        /reply\.subscriber: no webhook subscriber named nobody/,
      ],
      [{ token: TOKEN, mode: 'plain', reply: { subscriber: 'crm', deadlineMs: 6000 } }, /reply\.deadlineMs/],
    ];
    for (const [input, message] of cases) {
      const err = await refusal(() => admin.setCallback(A, input as never));
      expect(isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')).toBe(true);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain(TOKEN);
      expect(err.message).not.toContain(KEY);
    }
    const added = await refusal(() =>
      admin.add({
        appid: 'wx00000000000000b2',
        secret: SECRET,
        callback: { token: TOKEN, mode: 'compatible' },
      }),
    );
    expect(added.message).toMatch(/callback\.encodingAESKey: is required in compatible mode/);
  });

  it('of an appid in the configuration file: the file wins, and set-callback is refused', async () => {
    const configAccounts = parseConfig({
      accounts: [{ appid: CONFIGURED, secret: SECRET, callback: { token: 'FileToken1', mode: 'plain' } }],
    }).accounts;
    const { database, secrets, registry, admin } = await world(configAccounts);
    // A row written for the same appid (by a hub that did not have it in its file) is not served.
    await database.accounts.insert(
      storedRow(CONFIGURED, secrets.seal(CONFIGURED, 'row-secret'), {
        sealedCallback: secrets.sealCallback(CONFIGURED, { token: 'RowToken1', mode: 'plain' }),
      }),
    );
    await registry.sync();
    expect(registry.get(CONFIGURED)?.callback?.token).toBe('FileToken1');
    const err = await refusal(() => admin.setCallback(CONFIGURED, { token: TOKEN, mode: 'plain' }));
    expect(err.message).toMatch(/configuration file/);
    const unknown = await refusal(() => admin.setCallback(A, { token: TOKEN, mode: 'plain' }));
    expect(isWxhubError(unknown, 'WXHUB_ERR_UNKNOWN_ACCOUNT')).toBe(true);
  });

  it('a stored callback that does not open costs the account its pushes only, logged once', async () => {
    const database = new MemoryDatabase();
    const secrets = new SecretBox(randomBytes(32));
    // Settings another version wrote, say: the row's callback does not validate here.
    await database.accounts.insert(
      storedRow(A, secrets.seal(A, SECRET), { sealedCallback: secrets.seal(A, 'not callback settings') }),
    );
    const logs = captureLogs('error');
    const registry = await AccountRegistry.open({
      database,
      configAccounts: [],
      secrets,
      logger: logs.logger,
    });
    expect(registry.served(A)?.secret).toBe(SECRET);
    expect(registry.served(A)?.callback).toBeUndefined();
    await registry.sync();
    expect(logs.lines.filter((l) => l.includes('callback not served'))).toHaveLength(1);
  });
});

describe('SecretBox callback sealing', () => {
  it('opens for the same appid only, and never as an appsecret (nor the reverse)', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.sealCallback(A, { token: TOKEN, encodingAESKey: KEY, mode: 'compatible' });
    expect(sealed).not.toContain(TOKEN);
    expect(box.openCallback(A, sealed)).toEqual({ token: TOKEN, encodingAESKey: KEY, mode: 'compatible' });
    expect(() => box.openCallback('wx00000000000000b2', sealed)).toThrow(/callback settings/);
    expect(() => box.open(A, sealed)).toThrow(/appsecret/);
    expect(() => box.openCallback(A, box.seal(A, SECRET))).toThrow(/set-callback/);
    const other = new SecretBox(randomBytes(32));
    expect(() => other.openCallback(A, sealed)).toThrow(new RegExp(`sealed with key ${box.keyId}`));
  });
});
