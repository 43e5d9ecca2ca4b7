export {
  type AccountKind,
  type AccountPatch,
  type AccountRecord,
  type AccountTable,
  type ClientKeyRecord,
  type ClientKeyTable,
  type Database,
  type DatabaseKind,
  type RateLimit,
  SCOPES,
  type Scope,
  type SettingsTable,
} from './database.js';
export { MemoryDatabase } from './memory/memory-database.js';
export { type OpenDatabaseOptions, openDatabase } from './open-database.js';
export type {
  BindResult,
  FollowerChange,
  FollowerCursor,
  FollowerPage,
  FollowerRecord,
  FollowerState,
  FollowerTable,
  FollowerView,
  IdentityPatch,
  IdentityRecord,
  IdentityTable,
  LoginInput,
  OAuthScope,
  Page,
  PageOptions,
  UserRecord,
  UserTable,
} from './people.js';
export { PostgresDatabase, type PostgresDatabaseOptions } from './postgres/postgres-database.js';
export { POSTGRES_DATABASE_MIGRATIONS } from './postgres/postgres-migrations.js';
export { SqliteDatabase, type SqliteDatabaseOptions } from './sqlite/sqlite-database.js';
export { SQLITE_DATABASE_MIGRATIONS } from './sqlite/sqlite-migrations.js';
