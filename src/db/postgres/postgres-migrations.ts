import type { Migration } from '../../sql/migrations.js';

/**
 * The Database's tables in PostgreSQL, applied by the shared runner (`migratePostgres`, src/sql) in the
 * database's schema; ids are prefixed `db_` so the schema may be the PostgresStore's too. Append
 * new steps at the end; never edit an applied one.
 */
export const POSTGRES_DATABASE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'db_0001_client_keys',
    sql: `
      CREATE TABLE client_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        secret_hash text NOT NULL,
        appids text[] NOT NULL,
        scopes text[] NOT NULL,
        rate_limit jsonb,
        created_at bigint NOT NULL,
        revoked_at bigint
      );
    `,
  },
  {
    id: 'db_0002_hub_settings',
    sql: `
      CREATE TABLE hub_settings (
        name text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: 'db_0003_users',
    sql: `
      CREATE TABLE users (
        id text PRIMARY KEY,
        unionid text UNIQUE,
        created_at bigint NOT NULL
      );
    `,
  },
  {
    id: 'db_0004_identities',
    sql: `
      CREATE TABLE identities (
        appid text NOT NULL,
        openid text NOT NULL,
        user_id text NOT NULL REFERENCES users (id),
        unionid text,
        nickname text,
        headimgurl text,
        subscribe smallint NOT NULL DEFAULT 0,
        scope text NOT NULL,
        first_login_at bigint NOT NULL,
        last_login_at bigint NOT NULL,
        web_token_sealed text,
        web_token_expires_at bigint,
        refresh_token_sealed text,
        refresh_token_expires_at bigint,
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
        appid text NOT NULL,
        openid text NOT NULL,
        unionid text,
        subscribe_time bigint,
        subscribe_scene text,
        synced_at bigint NOT NULL,
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
      ALTER TABLE followers ADD COLUMN subscribe smallint NOT NULL DEFAULT 1;
      ALTER TABLE followers ADD COLUMN qr_scene text;
      ALTER TABLE followers ADD COLUMN event_time bigint;
      ALTER TABLE followers ADD COLUMN event_at bigint;
      CREATE INDEX followers_page ON followers (appid, subscribe, subscribe_time DESC NULLS LAST, openid COLLATE "C");
    `,
  },
  {
    id: 'db_0007_accounts',
    sql: `
      CREATE TABLE accounts (
        appid text PRIMARY KEY,
        kind text NOT NULL,
        name text,
        sealed_secret text NOT NULL,
        token_mode text NOT NULL,
        enabled boolean NOT NULL,
        return_to text[] NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        version integer NOT NULL
      );
    `,
  },
  {
    // A runtime account's push URL settings, sealed like its appsecret (src/accounts/secret-box.ts).
    id: 'db_0008_account_callbacks',
    sql: 'ALTER TABLE accounts ADD COLUMN sealed_callback text;',
  },
];
