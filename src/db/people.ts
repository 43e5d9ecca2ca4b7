/**
 * People in the hub's database: users, the WeChat identities bound to them at web login, and each
 * account's followers. Times are epoch milliseconds of the hub's clock unless a field says otherwise.
 * @see docs/login.md for the flow that writes them.
 */

/** The web authorization scope a login used. */
export type OAuthScope = 'snsapi_base' | 'snsapi_userinfo';

/** One person. Identities on several appids share a user when WeChat gives them one unionid. */
export interface UserRecord {
  /** A URL-safe random id (22 characters of `[A-Za-z0-9_-]`), the business app's user key. */
  readonly id: string;
  /** The Open Platform unionid, when one is known; unique across users. */
  readonly unionid: string | null;
  readonly createdAt: number;
}

/** One WeChat identity (appid + openid), bound to a user at its first login. */
export interface IdentityRecord {
  readonly appid: string;
  readonly openid: string;
  readonly userId: string;
  readonly unionid: string | null;
  /** From `/sns/userinfo` at a snsapi_userinfo login; null until one captured it. */
  readonly nickname: string | null;
  readonly headimgurl: string | null;
  /** Follows the account (from `/cgi-bin/user/info` at the last login where it answered). */
  readonly subscribe: 0 | 1;
  /** The scope of the last login (and of the web token kept). */
  readonly scope: OAuthScope;
  readonly firstLoginAt: number;
  readonly lastLoginAt: number;
  /** The web access_token, sealed (AES-256-GCM, see src/oauth/token-cipher.ts); never plaintext. */
  readonly sealedWebToken: string | null;
  readonly webTokenExpiresAt: number | null;
  /** The refresh_token (30 days), sealed like the web token. */
  readonly sealedRefreshToken: string | null;
  readonly refreshTokenExpiresAt: number | null;
}

/** What one completed web login knows, for `identities.bind`. */
export interface LoginInput {
  readonly appid: string;
  readonly openid: string;
  /** From the code exchange, `/sns/userinfo` or `/cgi-bin/user/info`; null when none said. */
  readonly unionid: string | null;
  readonly scope: OAuthScope;
  /** Captured by this login; undefined keeps what an earlier login captured. */
  readonly nickname?: string;
  readonly headimgurl?: string;
  /** From `/cgi-bin/user/info`; null when the lookup failed: the last known value stays (0 when new). */
  readonly subscribe: 0 | 1 | null;
  readonly sealedWebToken: string | null;
  readonly webTokenExpiresAt: number | null;
  readonly sealedRefreshToken: string | null;
  readonly refreshTokenExpiresAt: number | null;
  /** When the login happened. */
  readonly at: number;
}

/** The outcome of `identities.bind`. */
export interface BindResult {
  readonly user: UserRecord;
  readonly identity: IdentityRecord;
  /** True when this login created the user (not when a new identity joined a known user). */
  readonly isNew: boolean;
}

/** The identity fields that change after a login (profile refresh, token refresh, follower state). */
export type IdentityPatch = Partial<
  Pick<
    IdentityRecord,
    | 'unionid'
    | 'nickname'
    | 'headimgurl'
    | 'subscribe'
    | 'sealedWebToken'
    | 'webTokenExpiresAt'
    | 'sealedRefreshToken'
    | 'refreshTokenExpiresAt'
  >
>;

/** A page of a list: `limit` 1–1000 (default 50), `offset` from 0. */
export interface PageOptions {
  readonly limit?: number;
  readonly offset?: number;
}

/** One page of rows and the number of rows in the whole list. */
export interface Page<T> {
  readonly total: number;
  readonly rows: T[];
}

/** A follower as synced from `/cgi-bin/user/get` + `/cgi-bin/user/info/batchget`. */
export interface FollowerRecord {
  readonly appid: string;
  readonly openid: string;
  readonly unionid: string | null;
  /** When they (last) followed: epoch ms (WeChat's `subscribe_time` seconds × 1000). */
  readonly subscribeTime: number | null;
  /** WeChat's `subscribe_scene`, e.g. `ADD_SCENE_QR_CODE`. */
  readonly subscribeScene: string | null;
  /** The parameter of the QR code they followed through (`qr_scene_str`, or `qr_scene`); null: none. */
  readonly qrScene?: string | null;
  /** The sync that last saw them following (its start mark); 0 on a row only live changes wrote. */
  readonly syncedAt: number;
}

/**
 * A follower row as stored: what syncs saw, plus the follow state live changes (pushed
 * subscribe / unsubscribe / SCAN events, `/cgi-bin/user/info` answers) taught since. A row stays
 * when they unfollow (`subscribe: 0`), so "does this user follow us" answers 0, not "unknown".
 */
export interface FollowerState extends FollowerRecord {
  /** 1 while following. */
  readonly subscribe: 0 | 1;
  readonly qrScene: string | null;
  /** WeChat's `CreateTime` of the last pushed change applied, epoch ms; null: none was. */
  readonly eventTime: number | null;
  /** When the hub applied the last live change (its own clock), epoch ms; null: none was. */
  readonly eventAt: number | null;
}

/**
 * A follow state learnt between syncs, for `followers.apply`: a push (`eventTime` is its
 * `CreateTime`) or an answer of `/cgi-bin/user/info` (`eventTime` null).
 */
export interface FollowerChange {
  readonly appid: string;
  readonly openid: string;
  readonly subscribe: 0 | 1;
  /**
   * WeChat's `CreateTime` of the push, epoch ms: a push older than the row's last applied push is
   * ignored (pushes may arrive out of order across a fleet). Null (an API answer): written only
   * when the hub knows nothing of the openid yet.
   */
  readonly eventTime: number | null;
  /** The hub's clock now, epoch ms: a sync that started before this will not undo the change. */
  readonly at: number;
  /** A new follow: its time (epoch ms), scene and QR scene replace the row's. Absent: kept. */
  readonly follow?: {
    readonly time: number | null;
    readonly scene: string | null;
    readonly qrScene: string | null;
  };
  /** Absent or null: the row's unionid is kept. */
  readonly unionid?: string | null;
}

/** Where a follower page starts: after this follower (the order of `followers.page`). */
export interface FollowerCursor {
  readonly subscribeTime: number | null;
  readonly openid: string;
}

/** One page of `followers.page`: `next` is null on the last page. */
export interface FollowerPage {
  readonly rows: FollowerView[];
  readonly next: FollowerCursor | null;
}

/**
 * A follower joined with the profile captured when they logged in on the web: since 2021
 * `/cgi-bin/user/info` gives no nickname or avatar, so those come only from logins (null when
 * the follower never logged in with snsapi_userinfo).
 */
export interface FollowerView {
  readonly openid: string;
  readonly unionid: string | null;
  /** Epoch ms. */
  readonly subscribeTime: number | null;
  readonly nickname: string | null;
  readonly headimgurl: string | null;
  /** Epoch ms of the last web login; null when they never logged in. */
  readonly lastLoginAt: number | null;
}

export interface UserTable {
  get(id: string): Promise<UserRecord | null>;
  getByUnionid(unionid: string): Promise<UserRecord | null>;
}

export interface IdentityTable {
  get(appid: string, openid: string): Promise<IdentityRecord | null>;
  /** The identities of one account, most recent login first. */
  list(appid: string, page?: PageOptions): Promise<Page<IdentityRecord>>;
  /** Every identity of one user (one per appid it logged in on), oldest first. */
  listByUser(userId: string): Promise<IdentityRecord[]>;
  /**
   * Binds a login to a user, in one transaction: a known identity keeps its user (profile, follow
   * state, tokens and last login updated); a new identity whose unionid a user or another
   * identity already has joins that user; otherwise a new user is created. Concurrent first
   * logins with one unionid end in one user (unique constraint, then a retry that finds it).
   */
  bind(login: LoginInput): Promise<BindResult>;
  /** Changes some fields of an identity; resolves the updated record, or null when unknown. */
  update(appid: string, openid: string, patch: IdentityPatch): Promise<IdentityRecord | null>;
}

export interface FollowerTable {
  /**
   * Inserts or replaces followers (by appid + openid) as a sync saw them following. A row a live
   * change touched at or after the record's `syncedAt` (the sync's start) is left as it is: the
   * push is newer than the snapshot.
   */
  upsert(records: readonly FollowerRecord[]): Promise<void>;
  /**
   * Marks as no longer following (`subscribe: 0`, the row kept) the followers of `appid` that
   * the sync at `syncedAt` did not see, except those a live change touched at or after
   * `syncedAt`; resolves how many changed.
   */
  removeStale(appid: string, syncedAt: number): Promise<number>;
  /** The latest `syncedAt` of `appid`'s followers, or null when no sync wrote one. */
  lastSyncedAt(appid: string): Promise<number | null>;
  /** The follower, or null when they do not follow (never did, or unfollowed). */
  get(appid: string, openid: string): Promise<FollowerState | null>;
  /**
   * What the hub knows of an openid's follow state: the row, following or not any more (an
   * unfollow keeps it, `subscribe: 0`); null when the hub never learnt of them.
   */
  state(appid: string, openid: string): Promise<FollowerState | null>;
  /**
   * Applies a follow state learnt live (see `FollowerChange` for which change wins); resolves
   * true when it was written.
   */
  apply(change: FollowerChange): Promise<boolean>;
  /** Current followers joined with captured profiles, latest follow first (then by openid). */
  list(appid: string, page?: PageOptions): Promise<Page<FollowerView>>;
  /**
   * Current followers in `list`'s order, `limit` (1–1000, default 100) after the cursor: stable
   * while followers are added (a new follow sorts first, before any cursor), each follower once.
   */
  page(appid: string, options?: { after?: FollowerCursor | null; limit?: number }): Promise<FollowerPage>;
}
