/**
 * wxhub: the SDK surface. `import { WeChatClient, HubTokenProvider, SqliteStore } from 'wxhub'`.
 */
export * from './client/index.js';
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
} from './db/index.js';
export {
  type ClientKeyRecord,
  type ClientKeyTable,
  type Database,
  type DatabaseKind,
  MemoryDatabase,
  type OpenDatabaseOptions,
  openDatabase,
  PostgresDatabase,
  type RateLimit,
  SCOPES,
  type Scope,
  type SettingsTable,
  SqliteDatabase,
} from './db/index.js';
export * from './errors/index.js';
export {
  LiveFollowers,
  type LiveOutcome,
  type SyncFollowersOptions,
  type SyncFollowersResult,
  syncFollowers,
} from './followers/index.js';
export { HttpClient, type HttpClientOptions } from './http/index.js';
export {
  ClientKeys,
  type CreateHubOptions,
  createHub,
  type Hub,
  type HubServices,
  type StartedHub,
  type StartHubOptions,
  startHub,
} from './hub/index.js';
export {
  checkReturnTo,
  oauthRoutes,
  parseEncryptionKey,
  type RefreshProfileOptions,
  refreshProfile,
  type TicketBody,
  TokenCipher,
} from './oauth/index.js';
export {
  type CredentialInput,
  type CredentialRecord,
  MemoryStore,
  type OpenStoreOptions,
  openStore,
  PostgresStore,
  type PostgresStoreOptions,
  RedisStore,
  type RedisStoreOptions,
  SqliteStore,
  type SqliteStoreOptions,
  type Store,
  type StoreKind,
} from './store/index.js';
export * from './tokens/index.js';
export { type Clock, ManualClock, systemClock } from './util/clock.js';
export type { Logger } from './util/logger.js';
export { AVATAR_SIZES, type AvatarSize, avatarUrl } from './wechat/avatar.js';
export { ERRCODES, errAction, TOKEN_INVALID_ERRCODES } from './wechat/errcodes.js';
export { jsapiSignature } from './wechat/jssdk-signature.js';
export { type Endpoints, PATHS, WECHAT_ENDPOINTS } from './wechat/paths.js';
export { quotaDay } from './wechat/quota-day.js';
