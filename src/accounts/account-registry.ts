import type { CallbackConfig } from '../config/gateway-schema.js';
import type { AccountConfig } from '../config/index.js';
import type { AccountKind, AccountRecord, Database } from '../db/index.js';
import { isWxhubError, type WxhubError } from '../errors/index.js';
import type { Logger } from '../util/logger.js';
import { type EnableCounters, newEnableRequests, readEnableRequests } from './enable-requests.js';
import { missingSecretsKey, type SecretBox } from './secret-box.js';

/** An account the hub knows of, from the configuration file or the database. */
export interface RegisteredAccount extends AccountConfig {
  /** `config`: read-only at run time (SIGHUP reloads it); `database`: added at run time. */
  readonly source: 'config' | 'database';
  readonly kind: AccountKind;
  /** False: known but not served (a runtime account added or set disabled). */
  readonly enabled: boolean;
  /** The database row's version and times; absent for config-file accounts. */
  readonly stored?: { readonly version: number; readonly createdAt: number; readonly updatedAt: number };
}

/** A change the registry applied: what the token engine, the login flow and others follow. */
export type AccountChange =
  | { readonly type: 'added'; readonly account: RegisteredAccount }
  | { readonly type: 'updated'; readonly account: RegisteredAccount; readonly previous: RegisteredAccount }
  | { readonly type: 'removed'; readonly account: RegisteredAccount }
  /** An operator asked to end the account's cool-down after a configuration error (`enable`). */
  | { readonly type: 'enabled'; readonly appid: string };

/** Told each change a registry applies (see `AccountRegistry.onChange`). */
export type AccountChangeListener = (change: AccountChange) => void;

/** What `AccountRegistry.open` reads accounts from and with. */
export interface AccountRegistryOptions {
  readonly database: Database;
  /** The accounts of the configuration file. */
  readonly configAccounts: readonly AccountConfig[];
  /** Opens the stored appsecrets; null when no secrets key is configured. */
  readonly secrets: SecretBox | null;
  readonly logger: Logger;
  /** How often the database is read for changes other hubs (or the CLI) made, ms. Default 2000. */
  readonly pollMs?: number;
}

/** The default poll interval: a change reaches every hub of a fleet within 5 s, a read costs little. */
export const ACCOUNT_POLL_MS = 2000;

/** A decoded database row, kept while its version is unchanged (each is opened once). */
interface Decoded {
  readonly stamp: string;
  readonly result: RegisteredAccount | WxhubError;
}

/**
 * The accounts a hub serves: those of the configuration file (read-only at run time, replaced
 * as a whole on SIGHUP) merged with those added at run time into the database (their appsecrets
 * sealed, see SecretBox). The database is polled, so a change made on any hub or by
 * `wxhub accounts` reaches every hub of a fleet within a poll interval; each change is told to
 * `onChange` listeners (the token engine follows it through `followAccounts`). A config-file
 * account wins over a database row of the same appid, as a whole: its appsecret and its callback
 * (or lack of one) are served, the row's are not.
 */
export class AccountRegistry {
  readonly #database: Database;
  readonly #secrets: SecretBox | null;
  readonly #logger: Logger;
  readonly #pollMs: number;
  readonly #listeners = new Set<AccountChangeListener>();
  #config: RegisteredAccount[];
  #records: readonly AccountRecord[] = [];
  #rows = new Map<string, RegisteredAccount>();
  /** The stamp of the row version whose failure to open was logged, per appid. */
  readonly #reported = new Map<string, string>();
  #decoded = new Map<string, Decoded>();
  #current = new Map<string, RegisteredAccount>();
  #fingerprints = new Map<string, string>();
  #enableSeen: EnableCounters = {};
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;
  #again = false;
  #lastFailure = '';
  #closed = false;

  private constructor(options: AccountRegistryOptions) {
    this.#database = options.database;
    this.#secrets = options.secrets;
    this.#logger = options.logger;
    this.#pollMs = options.pollMs ?? ACCOUNT_POLL_MS;
    this.#config = options.configAccounts.map(fromConfig);
  }

  /**
   * Reads the database once and resolves the registry. Rejects with `WXHUB_ERR_SECRETS_KEY` when
   * the database holds runtime accounts and the key is missing or is not the one that sealed them.
   * A database that does not answer is logged and read again at the next poll.
   */
  static async open(options: AccountRegistryOptions): Promise<AccountRegistry> {
    const registry = new AccountRegistry(options);
    let records: AccountRecord[] = [];
    try {
      records = await registry.#database.accounts.list();
      registry.#enableSeen = await readEnableRequests(registry.#database.settings);
    } catch (err) {
      if (!isWxhubError(err, 'WXHUB_ERR_DATABASE_UNAVAILABLE')) throw err;
      registry.#failed(err);
    }
    const configured = new Set(registry.#config.map((a) => a.appid));
    const stored = records.filter((r) => !configured.has(r.appid));
    if (stored.length > 0 && !registry.#secrets) {
      throw missingSecretsKey(
        `the database holds ${stored.length} runtime account(s) (${stored[0]!.appid}, ...) and no secrets key is set`,
      );
    }
    for (const record of stored) {
      const decoded = registry.#decode(record);
      if (!('source' in decoded)) throw decoded;
    }
    registry.#merge(records, false);
    return registry;
  }

  /** Every known account: the configuration file's first, then the database's, oldest first. */
  list(): readonly RegisteredAccount[] {
    return [...this.#current.values()];
  }

  /** The account of `appid`, served or not; undefined when unknown. */
  get(appid: string): RegisteredAccount | undefined {
    return this.#current.get(appid);
  }

  /** The account of `appid` when it is enabled (what the login flow and drop-in paths serve). */
  served(appid: string): RegisteredAccount | undefined {
    const account = this.#current.get(appid);
    return account?.enabled ? account : undefined;
  }

  has(appid: string): boolean {
    return this.#current.has(appid);
  }

  /** The appids of the configuration file (read-only at run time). */
  configAppids(): ReadonlySet<string> {
    return new Set(this.#config.map((a) => a.appid));
  }

  /** The sealing box of this hub's secrets key, or null without one. */
  get secrets(): SecretBox | null {
    return this.#secrets;
  }

  /** Calls `listener` with every change from now on; returns the function that stops it. */
  onChange(listener: AccountChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Replaces the configuration file's accounts (SIGHUP): those added, removed or changed are
   * applied at once, as changes.
   */
  setConfigAccounts(accounts: readonly AccountConfig[]): void {
    this.#config = accounts.map(fromConfig);
    this.#merge(this.#records, true);
  }

  /**
   * Reads the database now and applies what changed (polling does this every interval; the
   * admin routes call it so their own hub applies a change at once). Concurrent calls share one
   * read, and a call made during a read gets the one after it.
   */
  sync(): Promise<void> {
    if (this.#syncing) {
      this.#again = true;
      return this.#syncing;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.#again = false;
          await this.#syncOnce();
        } while (this.#again && !this.#closed);
      } finally {
        this.#syncing = undefined;
      }
    };
    this.#syncing = run();
    return this.#syncing;
  }

  /** Starts polling the database every `pollMs`. */
  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => {
      this.sync().catch((err: unknown) => this.#failed(err));
    }, this.#pollMs);
    this.#timer.unref();
  }

  /** Stops polling; listeners hear nothing more. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#syncing?.catch(() => undefined);
    this.#listeners.clear();
  }

  async #syncOnce(): Promise<void> {
    if (this.#closed) return;
    let records: AccountRecord[];
    let counters: EnableCounters;
    try {
      records = await this.#database.accounts.list();
      counters = await readEnableRequests(this.#database.settings);
    } catch (err) {
      this.#failed(err);
      return;
    }
    if (this.#lastFailure) {
      this.#logger.info({}, 'runtime accounts: the database answers again');
      this.#lastFailure = '';
    }
    if (this.#closed) return;
    this.#merge(records, true);
    const enabled = newEnableRequests(this.#enableSeen, counters);
    this.#enableSeen = counters;
    for (const appid of enabled) if (this.#current.has(appid)) this.#emit({ type: 'enabled', appid });
  }

  /** Logs a failed read once per distinct failure (a poll every 2 s would flood the log). */
  #failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (message === this.#lastFailure) return;
    this.#lastFailure = message;
    this.#logger.warn({ err: message }, 'runtime accounts: could not read the database; retrying');
  }

  /**
   * A database row as an account, or the error that stops it from being served: opened once
   * per version, so a row that does not open is logged once, not on every poll.
   */
  #decode(record: AccountRecord): RegisteredAccount | WxhubError {
    const stamp = `${record.createdAt}:${record.version}:${record.updatedAt}`;
    const known = this.#decoded.get(record.appid);
    if (known?.stamp === stamp) return known.result;
    let result: RegisteredAccount | WxhubError;
    try {
      if (!this.#secrets)
        throw missingSecretsKey(`runtime account ${record.appid} cannot be opened without the secrets key`);
      const secret = this.#secrets.open(record.appid, record.sealedSecret);
      result = fromRecord(record, secret, this.#openCallback(record));
    } catch (err) {
      if (!isWxhubError(err)) throw err;
      result = err;
    }
    this.#decoded.set(record.appid, { stamp, result });
    return result;
  }

  /**
   * A row's push URL settings. Ones that do not open (sealed by another version, say) cost the
   * account its pushes only, as a codec that does not build does: logged once per row version
   * (`#decode` caches), the token and login still served.
   */
  #openCallback(record: AccountRecord): CallbackConfig | undefined {
    if (!record.sealedCallback) return undefined;
    try {
      return this.#secrets!.openCallback(record.appid, record.sealedCallback);
    } catch (err) {
      if (!isWxhubError(err)) throw err;
      this.#logger.error({ appid: record.appid, code: err.code }, `callback not served: ${err.message}`);
      return undefined;
    }
  }

  /** Builds the current set from the config accounts and `records`, and tells what changed. */
  #merge(records: readonly AccountRecord[], announce: boolean): void {
    this.#records = records;
    const configured = new Set(this.#config.map((a) => a.appid));
    const rows = new Map<string, RegisteredAccount>();
    for (const record of records) {
      if (configured.has(record.appid)) continue;
      const decoded = this.#decode(record);
      if ('source' in decoded) {
        rows.set(record.appid, decoded);
        continue;
      }
      // Logged once per version; the version served before (if any) stays until one opens.
      const stamp = this.#decoded.get(record.appid)?.stamp ?? '';
      if (stamp !== this.#reported.get(record.appid)) {
        this.#reported.set(record.appid, stamp);
        this.#logger.error(
          { appid: record.appid, code: decoded.code },
          `runtime account not applied: ${decoded.message}`,
        );
      }
      const previous = this.#rows.get(record.appid);
      if (previous) rows.set(record.appid, previous);
    }
    for (const appid of this.#decoded.keys()) {
      if (!records.some((r) => r.appid === appid)) this.#decoded.delete(appid);
    }
    this.#rows = rows;
    const next = new Map<string, RegisteredAccount>();
    for (const account of this.#config) next.set(account.appid, account);
    for (const [appid, account] of rows) next.set(appid, account);

    const changes: AccountChange[] = [];
    const fingerprints = new Map<string, string>();
    for (const [appid, account] of next) {
      const print = JSON.stringify(account);
      fingerprints.set(appid, print);
      const before = this.#current.get(appid);
      if (!before) changes.push({ type: 'added', account });
      else if (this.#fingerprints.get(appid) !== print)
        changes.push({ type: 'updated', account, previous: before });
      else next.set(appid, before); // the same object while unchanged: caches keyed on it stay valid
    }
    for (const [appid, account] of this.#current) {
      if (!next.has(appid)) changes.push({ type: 'removed', account });
    }
    this.#current = next;
    this.#fingerprints = fingerprints;
    if (announce) for (const change of changes) this.#emit(change);
  }

  #emit(change: AccountChange): void {
    const appid = change.type === 'enabled' ? change.appid : change.account.appid;
    this.#logger.info({ appid, change: change.type }, `account ${appid} ${change.type}`);
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#logger.error({ appid, err: String(err) }, 'account change listener failed');
      }
    }
  }
}

/** A config-file account as registered (its `kind` when the configuration gives one). */
function fromConfig(account: AccountConfig): RegisteredAccount {
  const kind = (account as { kind?: AccountKind }).kind === 'website' ? 'website' : 'official';
  return Object.freeze({ ...account, source: 'config', kind, enabled: true });
}

/** A database row as an account, with the defaults a config-file account would have. */
function fromRecord(
  record: AccountRecord,
  secret: string,
  callback: CallbackConfig | undefined,
): RegisteredAccount {
  return Object.freeze({
    appid: record.appid,
    secret,
    ...(callback ? { callback: Object.freeze(callback) } : {}),
    ...(record.name !== null ? { name: record.name } : {}),
    tokenMode: record.tokenMode,
    dailyBudget: 2000,
    allowSecretInDropIn: false,
    oauth: Object.freeze({ returnTo: [...record.returnTo], defaultScope: 'snsapi_base' as const }),
    source: 'database' as const,
    kind: record.kind,
    enabled: record.enabled,
    stored: Object.freeze({
      version: record.version,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    }),
  });
}
