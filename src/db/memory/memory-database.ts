import type { AccountTable, ClientKeyRecord, ClientKeyTable, Database, SettingsTable } from '../database.js';
import { databaseClosed, duplicateKey } from '../db-error.js';
import type { FollowerTable, IdentityTable, UserTable } from '../people.js';
import { checkKeyRecord, checkSettingName, checkSettingValue } from '../validate.js';
import { memoryAccounts } from './memory-accounts.js';
import { memoryPeople } from './memory-people.js';

/**
 * The Database in process memory: for tests and throwaway demos (nothing survives the process,
 * and hubs do not share it, so each hub of a "fleet" would sign drop-in tokens differently).
 */
export class MemoryDatabase implements Database {
  readonly kind = 'memory' as const;
  readonly keys: ClientKeyTable;
  readonly settings: SettingsTable;
  readonly accounts: AccountTable;
  readonly users: UserTable;
  readonly identities: IdentityTable;
  readonly followers: FollowerTable;
  #closed = false;

  constructor() {
    const keys = new Map<string, ClientKeyRecord>();
    const settings = new Map<string, string>();
    const open = () => {
      if (this.#closed) throw databaseClosed('memory', 'memory:');
    };
    this.keys = {
      insert: async (record) => {
        open();
        checkKeyRecord(record);
        if (keys.has(record.id)) throw duplicateKey(record.id);
        keys.set(record.id, freeze(record));
      },
      get: async (id) => {
        open();
        return keys.get(id) ?? null;
      },
      list: async () => {
        open();
        return [...keys.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
      },
      revoke: async (id, at) => {
        open();
        const record = keys.get(id);
        if (!record || record.revokedAt !== null) return false;
        keys.set(id, freeze({ ...record, revokedAt: at }));
        return true;
      },
    };
    this.settings = {
      get: async (name) => {
        open();
        checkSettingName(name);
        return settings.get(name) ?? null;
      },
      putIfAbsent: async (name, value) => {
        open();
        checkSettingName(name);
        checkSettingValue(value);
        const stored = settings.get(name);
        if (stored !== undefined) return stored;
        settings.set(name, value);
        return value;
      },
      compareAndSet: async (name, expected, value) => {
        open();
        checkSettingName(name);
        checkSettingValue(value);
        if (settings.get(name) !== expected) return false;
        settings.set(name, value);
        return true;
      },
    };
    this.accounts = memoryAccounts(open);
    const people = memoryPeople(open);
    this.users = people.users;
    this.identities = people.identities;
    this.followers = people.followers;
  }

  async ping(): Promise<void> {
    if (this.#closed) throw databaseClosed('memory', 'memory:');
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

function freeze(record: ClientKeyRecord): ClientKeyRecord {
  return Object.freeze({
    ...record,
    appids: Object.freeze([...record.appids]),
    scopes: Object.freeze([...record.scopes]),
    rateLimit: record.rateLimit ? Object.freeze({ ...record.rateLimit }) : null,
  });
}
