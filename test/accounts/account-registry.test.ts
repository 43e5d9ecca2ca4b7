import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AccountAdmin, AccountRegistry, followAccounts, SecretBox } from '../../src/accounts/index.js';
import { type AccountConfig, parseConfig } from '../../src/config/index.js';
import { MemoryDatabase } from '../../src/db/index.js';
import { isWxhubError, WxhubError } from '../../src/errors/index.js';
import { TokenManager } from '../../src/tokens/index.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { accountsWorld, storedRow } from './support/accounts-world.js';

const config = (accounts: object[]): readonly AccountConfig[] => parseConfig({ accounts }).accounts;
const A = 'wx00000000000000a1';
const B = 'wx00000000000000b2';
const C = 'wx00000000000000c3';

const world = accountsWorld;

describe('AccountRegistry', () => {
  it('merges the file and the database; the file wins an appid both have', async () => {
    const { registry, admin, database, changes } = await world(config([{ appid: A, secret: 'file' }]));
    await admin.add({ appid: B, secret: 'db' });
    expect(registry.list().map((a) => [a.appid, a.source])).toEqual([
      [A, 'config'],
      [B, 'database'],
    ]);
    // A row for the file's appid (written by an older hub, say) is shadowed by the file.
    const sealed = new SecretBox(randomBytes(32)).seal(A, 'shadow');
    await database.accounts.insert(storedRow(A, sealed, { tokenMode: 'classic' }));
    await registry.sync();
    expect(registry.get(A)).toMatchObject({ source: 'config', secret: 'file', tokenMode: 'stable' });
    expect(changes).toEqual([`added ${B}`]);
  });

  it('keeps the same object while an account is unchanged, a new one when it changes', async () => {
    const { registry, admin } = await world();
    await admin.add({ appid: B, secret: 'one' });
    const first = registry.get(B);
    await registry.sync();
    expect(registry.get(B)).toBe(first);
    await admin.setSecret(B, 'two');
    expect(registry.get(B)).not.toBe(first);
    expect(registry.get(B)?.secret).toBe('two');
  });

  it('setConfigAccounts applies what the file added, removed and changed', async () => {
    const { registry, changes } = await world(
      config([
        { appid: A, secret: 'a' },
        { appid: B, secret: 'b' },
      ]),
    );
    registry.setConfigAccounts(
      config([
        { appid: B, secret: 'b2' },
        { appid: C, secret: 'c' },
      ]),
    );
    expect(changes.sort()).toEqual([`added ${C}`, `removed ${A}`, `updated ${B}`]);
    expect(registry.configAppids()).toEqual(new Set([B, C]));
  });

  it('served() hides disabled accounts; the engine follows add, disable, enable and remove', async () => {
    const { registry, admin } = await world();
    const manager = new TokenManager({
      store: (await import('../../src/store/index.js')).openStore('memory:'),
      accounts: [],
    });
    const stop = followAccounts(registry, manager);
    try {
      await admin.add({ appid: B, secret: 'b', enabled: false });
      expect(registry.served(B)).toBeUndefined();
      expect(manager.hasAccount(B)).toBe(false);
      await admin.enable(B);
      expect(registry.served(B)?.enabled).toBe(true);
      expect(manager.hasAccount(B)).toBe(true);
      await admin.disable(B);
      expect(manager.hasAccount(B)).toBe(false);
      await admin.enable(B);
      await admin.remove(B);
      expect(manager.hasAccount(B)).toBe(false);
      expect(registry.has(B)).toBe(false);
    } finally {
      stop();
      await manager.close();
    }
  });

  it('a listener that throws does not stop the others; an unsubscribed one hears nothing', async () => {
    const { registry, admin } = await world();
    const heard: string[] = [];
    registry.onChange(() => {
      throw new Error('boom');
    });
    const off = registry.onChange(() => heard.push('off'));
    registry.onChange((c) => heard.push(c.type));
    off();
    await admin.add({ appid: B, secret: 'b' });
    expect(heard).toEqual(['added']);
  });

  it('starts while the database does not answer, and reads it at a later sync', async () => {
    const database = new MemoryDatabase();
    const list = database.accounts.list;
    let down = true;
    Object.assign(database.accounts, {
      list: () => (down ? Promise.reject(new WxhubError('WXHUB_ERR_DATABASE_UNAVAILABLE', 'down')) : list()),
    });
    const registry = await AccountRegistry.open({
      database,
      configAccounts: [],
      secrets: null,
      logger: silentLogger,
    });
    expect(registry.list()).toEqual([]);
    down = false;
    await registry.sync();
    expect(registry.list()).toEqual([]);
  });

  it('without a secrets key: open refuses a database holding runtime accounts; add refuses', async () => {
    const { database } = await world();
    const box = new SecretBox(randomBytes(32));
    await new AccountAdmin({ database, secrets: box, configAppids: () => new Set(), clock: systemClock }).add(
      {
        appid: B,
        secret: 'b',
      },
    );
    const err = await AccountRegistry.open({
      database,
      configAccounts: [],
      secrets: null,
      logger: silentLogger,
    }).catch((e: unknown) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_SECRETS_KEY')).toBe(true);
    const keyless = new AccountAdmin({
      database,
      secrets: null,
      configAppids: () => new Set(),
      clock: systemClock,
    });
    await expect(keyless.add({ appid: C, secret: 'c' })).rejects.toThrow(/WXHUB_SECRET_KEY/);
  });
});
