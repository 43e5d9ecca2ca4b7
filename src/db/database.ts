/**
 * The hub's durable records (as opposed to the Store's short-lived credentials, leases and
 * counters): client keys, hub settings, users, their WeChat identities and each account's
 * followers. One implementation per backend folder (memory, sqlite, postgres), all proven by one
 * contract suite (test/db/contract.ts).
 */

import type { FollowerTable, IdentityTable, UserTable } from './people.js';

/**
 * What a client key may do. `admin` implies every other scope and every appid. `users` reads
 * followers and profiles; `events` pulls the callback gateway's events.
 */
export type Scope = 'token' | 'refresh' | 'proxy' | 'oauth' | 'users' | 'events' | 'admin';

export const SCOPES: readonly Scope[] = ['token', 'refresh', 'proxy', 'oauth', 'users', 'events', 'admin'];

/** A per-key token bucket: `perSecond` refill, up to `burst` requests at once. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** A client key as stored: never the key itself, only a SHA-256 of its secret part. */
export interface ClientKeyRecord {
  /** The public part of the key (`wxk_<id>_...`), the primary key. */
  readonly id: string;
  readonly name: string;
  /** Hex SHA-256 of the secret part. Keys are 256-bit random, so a fast hash is the right one. */
  readonly secretHash: string;
  readonly appids: readonly string[];
  readonly scopes: readonly Scope[];
  /** Overrides the hub's default rate limit for this key; null: the default. */
  readonly rateLimit: RateLimit | null;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms; null while the key is active. */
  readonly revokedAt: number | null;
}

/** The client key table. */
export interface ClientKeyTable {
  /** Inserts a new key; rejects with `WXHUB_ERR_INVALID_ARGUMENT` when the id exists. */
  insert(record: ClientKeyRecord): Promise<void>;
  get(id: string): Promise<ClientKeyRecord | null>;
  /** Every key, oldest first, revoked ones included. */
  list(): Promise<ClientKeyRecord[]>;
  /** Marks an active key revoked at `at`; false when it is unknown or already revoked. */
  revoke(id: string, at: number): Promise<boolean>;
}

/** Small named values the hub keeps for the whole fleet (e.g. the drop-in signing keys). */
export interface SettingsTable {
  get(name: string): Promise<string | null>;
  /**
   * Writes `value` only if `name` has none and resolves the stored value: the first hub of a
   * fleet to start decides, every other one reads its choice.
   */
  putIfAbsent(name: string, value: string): Promise<string>;
  /** Replaces `value` only if the stored one is `expected`; true when it did. */
  compareAndSet(name: string, expected: string, value: string): Promise<boolean>;
}

/** An Official Account (gets an access_token) or an Open Platform website app (login only, no token). */
export type AccountKind = 'official' | 'website';

/**
 * An account added at run time (`wxhub accounts add`, `/v1/admin/accounts`), as stored: the
 * appsecret only sealed (AES-256-GCM, see src/accounts/secret-box.ts), never in clear.
 */
export interface AccountRecord {
  /** `wx` and 16 hex digits, the primary key. */
  readonly appid: string;
  readonly kind: AccountKind;
  readonly name: string | null;
  /** The sealed appsecret (`v1.<key id>.<data>`). */
  readonly sealedSecret: string;
  /**
   * The sealed push URL settings (Token, EncodingAESKey, mode as JSON, `v1.<key id>.<data>`);
   * null or absent: the account has no callback.
   */
  readonly sealedCallback?: string | null;
  readonly tokenMode: 'stable' | 'classic';
  /** False: kept but not served (no token fetched, no login). */
  readonly enabled: boolean;
  /** The `oauth.returnTo` allowlist of web login. */
  readonly returnTo: readonly string[];
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms of the last change. */
  readonly updatedAt: number;
  /** 1 when added, one more on every change: how the hubs of a fleet see that a row changed. */
  readonly version: number;
}

/** What an update may change; absent fields keep their value. */
export type AccountPatch = Partial<
  Pick<AccountRecord, 'sealedSecret' | 'sealedCallback' | 'enabled' | 'name' | 'tokenMode' | 'returnTo'>
>;

/** The runtime account table. */
export interface AccountTable {
  /** Inserts a new account (`version` 1); rejects with `WXHUB_ERR_ACCOUNT_EXISTS` when the appid exists. */
  insert(record: AccountRecord): Promise<void>;
  get(appid: string): Promise<AccountRecord | null>;
  /** Every runtime account, oldest first. */
  list(): Promise<AccountRecord[]>;
  /** Applies `patch` at `at` and bumps the version; the updated record, or null when unknown. */
  update(appid: string, patch: AccountPatch, at: number): Promise<AccountRecord | null>;
  /** Removes an account; false when it was unknown. */
  delete(appid: string): Promise<boolean>;
}

export type DatabaseKind = 'memory' | 'sqlite' | 'postgres';

/** The hub's database: `openDatabase('sqlite:PATH' | 'postgres://…' | 'memory:')`. */
export interface Database {
  readonly kind: DatabaseKind;
  readonly keys: ClientKeyTable;
  readonly settings: SettingsTable;
  /** Accounts added at run time (config-file accounts are not here). */
  readonly accounts: AccountTable;
  /** People: one row per person, across appids (the UnionID mechanism joins them). */
  readonly users: UserTable;
  /** WeChat identities (appid + openid) captured at web login, each bound to a user. */
  readonly identities: IdentityTable;
  /** Each account's followers as last synced from `/cgi-bin/user/get` (see `syncFollowers`). */
  readonly followers: FollowerTable;
  /** Resolves when the database answers a trivial query (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
