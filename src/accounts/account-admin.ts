import type { AccountPatch, AccountRecord, Database } from '../db/index.js';
import { WxhubError } from '../errors/index.js';
import type { Clock } from '../util/clock.js';
import {
  AppSecret,
  CallbackBody,
  type CallbackInput,
  NewAccountBody,
  type NewAccountInput,
} from './account-input.js';
import { requestEnable } from './enable-requests.js';
import { missingSecretsKey, type SecretBox } from './secret-box.js';

export interface AccountAdminOptions {
  readonly database: Database;
  /** Seals appsecrets; null without a secrets key (then add and set-secret refuse). */
  readonly secrets: SecretBox | null;
  /** The appids of the configuration file: read-only here. */
  readonly configAppids: () => ReadonlySet<string>;
  readonly clock: Clock;
  /** What to say when there is no key, instead of the standard hint (the CLI names its field). */
  readonly keyHint?: string;
  /**
   * Whether a push URL's `reply` may name `name`: one of the hub's webhook subscribers,
   * config-file or runtime. Absent, the name is not checked here (a hub then logs an unknown one
   * and uses the queues).
   */
  readonly isWebhookSubscriber?: (name: string) => boolean | Promise<boolean>;
  /** Called after each change is written (the hub applies it at once, not at the next poll). */
  readonly afterChange?: () => Promise<void>;
}

/** What `enable` did: which kind of account, and whether a stored `enabled: false` was turned on. */
export interface EnableResult {
  readonly source: 'config' | 'database';
  readonly wasDisabled: boolean;
}

/**
 * The operations on runtime accounts, shared by `wxhub accounts` and `/v1/admin/accounts`: each
 * validates its input (the error names the field, never the secret), writes the database and
 * lets the hubs apply it (their registries poll). Config-file accounts are read-only here, except
 * `enable`, which works for every account.
 */
export class AccountAdmin {
  readonly #options: AccountAdminOptions;

  constructor(options: AccountAdminOptions) {
    this.#options = options;
  }

  /** Adds a runtime account; `WXHUB_ERR_ACCOUNT_EXISTS` when the appid is known already. */
  async add(input: NewAccountInput): Promise<AccountRecord> {
    const parsed = NewAccountBody.safeParse(input);
    if (!parsed.success) throw invalid(parsed.error.issues);
    const account = parsed.data;
    await this.#checkReply(account.callback);
    if (this.#options.configAppids().has(account.appid)) {
      throw new WxhubError(
        'WXHUB_ERR_ACCOUNT_EXISTS',
        `account ${account.appid} is in the configuration file`,
      );
    }
    const now = this.#options.clock.now();
    const record: AccountRecord = {
      appid: account.appid,
      kind: account.kind,
      name: account.name ?? null,
      sealedSecret: this.#box('adding an account').seal(account.appid, account.secret),
      sealedCallback: account.callback
        ? this.#box('adding an account').sealCallback(account.appid, account.callback)
        : null,
      tokenMode: account.token_mode,
      enabled: account.enabled,
      returnTo: account.return_to,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    await this.#options.database.accounts.insert(record);
    await this.#changed();
    return record;
  }

  /** Removes a runtime account; a config-file one is refused, an unknown one is `WXHUB_ERR_UNKNOWN_ACCOUNT`. */
  async remove(appid: string): Promise<void> {
    this.#writable(appid);
    if (!(await this.#options.database.accounts.delete(appid))) throw unknown(appid);
    await this.#changed();
  }

  /** Replaces the appsecret of a runtime account (sealed with the current key). */
  async setSecret(appid: string, secret: string): Promise<AccountRecord> {
    this.#writable(appid);
    const parsed = AppSecret.safeParse(secret);
    if (!parsed.success) throw invalid(parsed.error.issues, 'secret');
    return this.#update(appid, { sealedSecret: this.#box('setting a secret').seal(appid, parsed.data) });
  }

  /**
   * Sets (or, with null, removes) the push URL settings of a runtime account: sealed with the
   * current key; every hub answers `/callback/:appid` with them within a poll interval.
   */
  async setCallback(appid: string, callback: CallbackInput | null): Promise<AccountRecord> {
    this.#writable(appid);
    let sealedCallback: string | null = null;
    if (callback !== null) {
      const parsed = CallbackBody.safeParse(callback);
      if (!parsed.success) throw invalid(parsed.error.issues, 'callback');
      await this.#checkReply(parsed.data);
      sealedCallback = this.#box('setting a callback').sealCallback(appid, parsed.data);
    }
    return this.#update(appid, { sealedCallback });
  }

  /**
   * Serves the account again: a runtime account stored disabled is enabled, and every hub of
   * the fleet ends the account's cool-down after a configuration error (40164 and the like),
   * without waiting for it to run out. Works for config-file accounts too.
   */
  async enable(appid: string): Promise<EnableResult> {
    const { database, clock } = this.#options;
    let result: EnableResult;
    if (this.#options.configAppids().has(appid)) {
      result = { source: 'config', wasDisabled: false };
    } else {
      const record = await database.accounts.get(appid);
      if (!record) throw unknown(appid);
      if (!record.enabled) await database.accounts.update(appid, { enabled: true }, clock.now());
      result = { source: 'database', wasDisabled: !record.enabled };
    }
    await requestEnable(database.settings, appid);
    await this.#changed();
    return result;
  }

  /** Stops serving a runtime account, keeping it stored (`enable` brings it back). */
  async disable(appid: string): Promise<void> {
    await this.#update(appid, { enabled: false });
  }

  /** Writes `patch` to a runtime account (config-file ones refused) and lets the hubs apply it. */
  async #update(appid: string, patch: AccountPatch): Promise<AccountRecord> {
    this.#writable(appid);
    const updated = await this.#options.database.accounts.update(appid, patch, this.#options.clock.now());
    if (!updated) throw unknown(appid);
    await this.#changed();
    return updated;
  }

  async #checkReply(callback: { reply?: { subscriber: string } | undefined } | undefined): Promise<void> {
    const name = callback?.reply?.subscriber;
    const { isWebhookSubscriber } = this.#options;
    if (name !== undefined && isWebhookSubscriber && !(await isWebhookSubscriber(name))) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        `callback.reply.subscriber: no webhook subscriber named ${name}`,
      );
    }
  }

  #writable(appid: string): void {
    if (this.#options.configAppids().has(appid)) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        `account ${appid} is in the configuration file: change it there and reload (SIGHUP)`,
      );
    }
  }

  #box(what: string): SecretBox {
    if (this.#options.secrets) return this.#options.secrets;
    const { keyHint } = this.#options;
    if (keyHint) throw new WxhubError('WXHUB_ERR_SECRETS_KEY', `${what} needs the secrets key: ${keyHint}`);
    throw missingSecretsKey(`${what} needs the secrets key`);
  }

  async #changed(): Promise<void> {
    await this.#options.afterChange?.();
  }
}

function unknown(appid: string): WxhubError {
  return new WxhubError('WXHUB_ERR_UNKNOWN_ACCOUNT', `no runtime account ${appid.slice(0, 64)}`);
}

/** A validation failure naming each field, never its value (it may be the secret). */
function invalid(issues: readonly { path: PropertyKey[]; message: string }[], field?: string): WxhubError {
  const text = issues
    .map((i) => `${i.path.map(String).join('.') || field || 'body'}: ${i.message}`)
    .join('; ');
  return new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', text);
}
