/**
 * The public shapes of the simulator's configuration: what a fixture file holds and what the
 * control plane (`POST /__sim/accounts`, `POST /__sim/accounts/:appid/users`) accepts.
 * @see docs/simulator.md
 */

/** Why a follower followed, as `/cgi-bin/user/info` reports it in `subscribe_scene`. */
export const SUBSCRIBE_SCENES = [
  'ADD_SCENE_SEARCH',
  'ADD_SCENE_ACCOUNT_MIGRATION',
  'ADD_SCENE_PROFILE_CARD',
  'ADD_SCENE_QR_CODE',
  'ADD_SCENE_PROFILE_LINK',
  'ADD_SCENE_PROFILE_ITEM',
  'ADD_SCENE_PAID',
  'ADD_SCENE_WECHAT_ADVERTISEMENT',
  'ADD_SCENE_REPRINT',
  'ADD_SCENE_LIVESTREAM',
  'ADD_SCENE_CHANNELS',
  'ADD_SCENE_OTHERS',
] as const;
export type SubscribeScene = (typeof SUBSCRIBE_SCENES)[number];

/**
 * `official`: an Official Account (tokens, users, pushes). `website`: an Open Platform website app
 * (its own appid and secret, `/connect/qrconnect` login, no global access_token).
 */
export type SimAccountKind = 'official' | 'website';

/** One simulated Official Account, or an Open Platform website app (`kind: "website"`). */
export interface SimAccountConfig {
  /** The account's appid, e.g. `wx1234567890abcdef`. */
  appid: string;
  /** Default `official`. */
  kind?: SimAccountKind;
  /**
   * The Official Account's original id (原始 ID, `gh_` + 12 hex digits): `ToUserName` of pushes.
   * Default: derived from the appid, the same on every run.
   */
  originalId?: string;
  /** The AppSecret that `/cgi-bin/token` and friends require. */
  secret: string;
  /** Display name on the consent page. Default: the appid. */
  name?: string;
  /**
   * IPs (or IPv4 CIDR ranges) allowed to fetch tokens. Absent or null: any IP (real WeChat
   * insists on a list; the simulator is lenient). An empty list refuses every IP.
   */
  ipWhitelist?: string[] | null;
  /** Host names allowed as `redirect_uri` hosts for web authorization (ports are ignored). */
  oauthDomains?: string[];
  /** `/cgi-bin/token` fetches per virtual day (Asia/Shanghai). Default 2000. */
  tokenDailyQuota?: number;
  /** Seconds a classic token keeps working after a newer one is fetched. Default 300; 0 = at once. */
  tokenOverlapSeconds?: number;
  /** Return the pre-2021 profile fields (nickname, sex, region, headimgurl) from `/cgi-bin/user/info`. */
  legacyProfile?: boolean;
  /** The account is bound to an Open Platform account: users have a unionid. */
  unionBound?: boolean;
  /** The AppSecret is frozen: token fetches answer 40243. */
  secretFrozen?: boolean;
}

/** One simulated WeChat user as seen by one account (an openid is per account). */
export interface SimUserInput {
  /** Generated (`o` + 27 characters) when absent. */
  openid?: string;
  /** Generated for unionBound accounts when absent; give the same value in two accounts for one person. */
  unionid?: string;
  /** Default `用户` + the last 4 characters of the openid. */
  nickname?: string;
  /** 0 unknown, 1 male, 2 female (only legacy-era responses show it). Default 0. */
  sex?: 0 | 1 | 2;
  /** Absent: a generated avatar on the simulator's own origin. Empty string: the user has none. */
  headimgurl?: string;
  /** 1 (or true) follower, 0 (or false) not following. Default 1. */
  subscribe?: 0 | 1 | boolean;
  /** Default `ADD_SCENE_SEARCH`. */
  subscribeScene?: SubscribeScene;
  /** Epoch seconds of the last follow. Default: virtual now when the user is created. */
  subscribeTime?: number;
  /** The user's WeChat language, e.g. `zh_CN`, `zh_TW`, `en`. Default `zh_CN`. */
  language?: string;
  remark?: string;
  groupid?: number;
  tagidList?: number[];
  qrScene?: number;
  qrSceneStr?: string;
  /** Legacy-era region fields (current-era responses send empty strings). */
  city?: string;
  province?: string;
  country?: string;
}

/** An account in a fixture, with its users. */
export interface SimFixtureAccount extends SimAccountConfig {
  users?: SimUserInput[];
}

/** A whole simulated world: what `wxhub sim --fixture FILE` loads. */
export interface SimFixture {
  accounts: SimFixtureAccount[];
}
