import type { Migration } from '../../sql/migrations.js';

/**
 * The Database's tables in SQLite, applied by the shared runner (`migrateSqlite`, src/sql), so
 * the file may be the one the SqliteStore uses: ids are prefixed `db_`, the store's `store_`.
 * Append new steps at the end; never edit an applied one.
 */
export const SQLITE_DATABASE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'db_0001_client_keys',
    sql: `
      CREATE TABLE client_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        appids TEXT NOT NULL,
        scopes TEXT NOT NULL,
        rate_limit TEXT,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
    `,
  },
  {
    id: 'db_0002_hub_settings',
    sql: `
      CREATE TABLE hub_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    id: 'db_0003_users',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        unionid TEXT UNIQUE,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    id: 'db_0004_identities',
    sql: `
      CREATE TABLE identities (
        appid TEXT NOT NULL,
        openid TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id),
        unionid TEXT,
        nickname TEXT,
        headimgurl TEXT,
        subscribe INTEGER NOT NULL DEFAULT 0,
        scope TEXT NOT NULL,
        first_login_at INTEGER NOT NULL,
        last_login_at INTEGER NOT NULL,
        web_token_sealed TEXT,
        web_token_expires_at INTEGER,
        refresh_token_sealed TEXT,
        refresh_token_expires_at INTEGER,
        PRIMARY KEY (appid, openid)
      );
      CREATE INDEX identities_user_id ON identities (user_id);
      CREATE INDEX identities_unionid ON identities (unionid);
      CREATE INDEX identities_last_login ON identities (appid, last_login_at);
    `,
  },
  {
    id: 'db_0005_followers',
    sql: `
      CREATE TABLE followers (
        appid TEXT NOT NULL,
        openid TEXT NOT NULL,
        unionid TEXT,
        subscribe_time INTEGER,
        subscribe_scene TEXT,
        synced_at INTEGER NOT NULL,
        PRIMARY KEY (appid, openid)
      );
      CREATE INDEX followers_synced_at ON followers (appid, synced_at);
      CREATE INDEX followers_subscribe_time ON followers (appid, subscribe_time);
    `,
  },
  {
    // Live follower state: an unfollow keeps the row (subscribe 0); pushes are ordered by their
    // CreateTime (event_time) and protected from an older sync by when they were applied (event_at).
    id: 'db_0006_follower_state',
    sql: `
      ALTER TABLE followers ADD COLUMN subscribe INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE followers ADD COLUMN qr_scene TEXT;
      ALTER TABLE followers ADD COLUMN event_time INTEGER;
      ALTER TABLE followers ADD COLUMN event_at INTEGER;
      CREATE INDEX followers_page ON followers (appid, subscribe, subscribe_time DESC, openid);
    `,
  },
  {
    id: 'db_0007_accounts',
    sql: `
      CREATE TABLE accounts (
        appid TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT,
        sealed_secret TEXT NOT NULL,
        token_mode TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        return_to TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL
      );
    `,
  },
  {
    // A runtime account's push URL settings, sealed like its appsecret (src/accounts/secret-box.ts).
    id: 'db_0008_account_callbacks',
    sql: 'ALTER TABLE accounts ADD COLUMN sealed_callback TEXT;',
  },
];
