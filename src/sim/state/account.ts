import { WxhubError } from '../../errors/index.js';
import { avatarIdFor, defaultOriginalId, newOpenid, newUnionid } from '../ids.js';
import type { ServerConfig } from '../push/server-config.js';
import type { SimAccountKind, SimUserInput, SubscribeScene } from '../types.js';
import { Conversation } from './conversation.js';

/** An account's settings with every default applied. */
export interface AccountSettings {
  readonly appid: string;
  readonly secret: string;
  readonly kind: SimAccountKind;
  readonly originalId: string;
  readonly name: string;
  readonly ipWhitelist: readonly string[] | null;
  readonly oauthDomains: readonly string[];
  readonly tokenDailyQuota: number;
  readonly tokenOverlapSeconds: number;
  readonly legacyProfile: boolean;
  readonly unionBound: boolean;
  readonly secretFrozen: boolean;
}

export const ACCOUNT_DEFAULTS = {
  kind: 'official',
  ipWhitelist: null,
  oauthDomains: [] as readonly string[],
  tokenDailyQuota: 2000,
  tokenOverlapSeconds: 300,
  legacyProfile: false,
  unionBound: false,
  secretFrozen: false,
} as const;

/** A simulated user of one account, every field resolved. */
export interface SimUser {
  readonly openid: string;
  unionid: string | undefined;
  nickname: string;
  sex: 0 | 1 | 2;
  /** undefined: a generated avatar on the simulator's origin; '' : no avatar. */
  headimgurl: string | undefined;
  readonly avatarId: string;
  subscribe: 0 | 1;
  subscribeScene: SubscribeScene;
  subscribeTime: number;
  language: string;
  remark: string;
  groupid: number;
  tagidList: number[];
  qrScene: number;
  qrSceneStr: string;
  city: string;
  province: string;
  country: string;
  /** The serialized `/cgi-bin/user/info` body and what it was built from (see user-views). */
  infoCache: { readonly key: string; readonly json: string } | undefined;
  /** Customer-service windows and inbox; created on first use (most users never need one). */
  conversation: Conversation | undefined;
}

/** The user's conversation with the account, created on first use. */
export function conversationOf(user: SimUser): Conversation {
  user.conversation ??= new Conversation();
  return user.conversation;
}

/** How a user came to follow: the scene `/cgi-bin/user/info` reports, and a QR code's scene. */
export interface FollowSource {
  readonly scene: SubscribeScene;
  readonly qrScene?: number;
  readonly qrSceneStr?: string;
}

/**
 * One Official Account: its settings and its users in creation order. The order is what
 * `/cgi-bin/user/get` pages through, so it never changes for a given user.
 */
export class SimAccount {
  settings: AccountSettings;
  /** The server URL pushes go to, saved by `POST /__sim/accounts/:appid/server` after its URL check. */
  server: ServerConfig | undefined;
  readonly users: SimUser[] = [];
  readonly #byOpenid = new Map<string, SimUser>();
  readonly #position = new Map<string, number>();
  #followers = 0;
  /** Bumped on every settings change, so cached user bodies built from old settings are not reused. */
  #version = 0;

  constructor(settings: AccountSettings) {
    this.settings = settings;
  }

  get appid(): string {
    return this.settings.appid;
  }

  get followerCount(): number {
    return this.#followers;
  }

  get version(): number {
    return this.#version;
  }

  user(openid: string): SimUser | undefined {
    return this.#byOpenid.get(openid);
  }

  /** Replaces settings; switching unionBound on gives every user a unionid. */
  updateSettings(settings: AccountSettings): void {
    this.settings = settings;
    this.#version++;
    if (settings.unionBound) for (const user of this.users) user.unionid ??= newUnionid();
  }

  /** Creates a user, or merges the given fields into the existing user with that openid. */
  upsertUser(input: SimUserInput, nowMs: number): { user: SimUser; created: boolean } {
    const existing = input.openid === undefined ? undefined : this.#byOpenid.get(input.openid);
    if (existing) {
      const wasFollower = existing.subscribe;
      applyUserInput(existing, input);
      existing.infoCache = undefined;
      if (this.settings.unionBound) existing.unionid ??= newUnionid();
      this.#followers += existing.subscribe - wasFollower;
      return { user: existing, created: false };
    }
    const openid = input.openid ?? newOpenid();
    const user: SimUser = {
      openid,
      unionid: undefined,
      nickname: `用户${openid.slice(-4)}`,
      sex: 0,
      headimgurl: undefined,
      avatarId: avatarIdFor(`${this.appid}:${openid}`),
      subscribe: 1,
      subscribeScene: 'ADD_SCENE_SEARCH',
      subscribeTime: Math.floor(nowMs / 1000),
      language: 'zh_CN',
      remark: '',
      groupid: 0,
      tagidList: [],
      qrScene: 0,
      qrSceneStr: '',
      city: '',
      province: '',
      country: '',
      infoCache: undefined,
      conversation: undefined,
    };
    applyUserInput(user, input);
    if (this.settings.unionBound) user.unionid ??= newUnionid();
    this.#position.set(openid, this.users.length);
    this.users.push(user);
    this.#byOpenid.set(openid, user);
    this.#followers += user.subscribe;
    return { user, created: true };
  }

  /** The user follows (again): subscribe_time is now, the scene and QR scene are the new ones. */
  follow(user: SimUser, source: FollowSource, nowMs: number): void {
    if (user.subscribe === 0) this.#followers++;
    user.subscribe = 1;
    user.subscribeTime = Math.floor(nowMs / 1000);
    user.subscribeScene = source.scene;
    user.qrScene = source.qrScene ?? 0;
    user.qrSceneStr = source.qrSceneStr ?? '';
    user.infoCache = undefined;
  }

  /** The user unfollows: no customer-service message reaches them any more. */
  unfollow(user: SimUser): void {
    if (user.subscribe === 1) this.#followers--;
    user.subscribe = 0;
    user.infoCache = undefined;
    user.conversation?.closeWindows();
  }

  /**
   * Followers after `nextOpenid` (exclusive) in creation order, at most `limit`.
   * undefined when `nextOpenid` is not a user of this account.
   */
  followersAfter(nextOpenid: string | undefined, limit: number): string[] | undefined {
    let start = 0;
    if (nextOpenid) {
      const at = this.#position.get(nextOpenid);
      if (at === undefined) return undefined;
      start = at + 1;
    }
    const out: string[] = [];
    for (let i = start; i < this.users.length && out.length < limit; i++) {
      const user = this.users[i]!;
      if (user.subscribe === 1) out.push(user.openid);
    }
    return out;
  }
}

function applyUserInput(user: SimUser, input: SimUserInput): void {
  if (input.unionid !== undefined) user.unionid = input.unionid;
  if (input.nickname !== undefined) user.nickname = input.nickname;
  if (input.sex !== undefined) user.sex = input.sex;
  if (input.headimgurl !== undefined) user.headimgurl = input.headimgurl;
  if (input.subscribe !== undefined)
    user.subscribe = input.subscribe === true || input.subscribe === 1 ? 1 : 0;
  if (input.subscribeScene !== undefined) user.subscribeScene = input.subscribeScene;
  if (input.subscribeTime !== undefined) user.subscribeTime = input.subscribeTime;
  if (input.language !== undefined) user.language = input.language;
  if (input.remark !== undefined) user.remark = input.remark;
  if (input.groupid !== undefined) user.groupid = input.groupid;
  if (input.tagidList !== undefined) user.tagidList = [...input.tagidList];
  if (input.qrScene !== undefined) user.qrScene = input.qrScene;
  if (input.qrSceneStr !== undefined) user.qrSceneStr = input.qrSceneStr;
  if (input.city !== undefined) user.city = input.city;
  if (input.province !== undefined) user.province = input.province;
  if (input.country !== undefined) user.country = input.country;
}

/** Merges a partial account config over current settings (or defaults for a new account). */
export function mergeSettings(
  current: AccountSettings | undefined,
  input: {
    appid: string;
    secret?: string | undefined;
    kind?: SimAccountKind | undefined;
    originalId?: string | undefined;
    name?: string | undefined;
    ipWhitelist?: string[] | null | undefined;
    oauthDomains?: string[] | undefined;
    tokenDailyQuota?: number | undefined;
    tokenOverlapSeconds?: number | undefined;
    legacyProfile?: boolean | undefined;
    unionBound?: boolean | undefined;
    secretFrozen?: boolean | undefined;
  },
): AccountSettings {
  const secret = input.secret ?? current?.secret;
  if (secret === undefined) {
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'secret: required when creating an account');
  }
  const base = current ?? {
    ...ACCOUNT_DEFAULTS,
    appid: input.appid,
    secret,
    name: input.appid,
    originalId: defaultOriginalId(input.appid),
  };
  return Object.freeze({
    appid: input.appid,
    secret,
    kind: input.kind ?? base.kind,
    originalId: input.originalId ?? base.originalId,
    name: input.name ?? base.name,
    ipWhitelist: input.ipWhitelist === undefined ? base.ipWhitelist : input.ipWhitelist,
    oauthDomains: input.oauthDomains ?? base.oauthDomains,
    tokenDailyQuota: input.tokenDailyQuota ?? base.tokenDailyQuota,
    tokenOverlapSeconds: input.tokenOverlapSeconds ?? base.tokenOverlapSeconds,
    legacyProfile: input.legacyProfile ?? base.legacyProfile,
    unionBound: input.unionBound ?? base.unionBound,
    secretFrozen: input.secretFrozen ?? base.secretFrozen,
  });
}
