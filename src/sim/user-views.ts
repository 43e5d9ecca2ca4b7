import type { SimAccount, SimUser } from './state/account.js';

/** The user's avatar URL: their own, or the generated one on the simulator's origin. */
export function headimgurlOf(user: SimUser, origin: string): string {
  return user.headimgurl ?? `${origin}/mmopen/${user.avatarId}/132`;
}

/**
 * A `/cgi-bin/user/info` entry in WeChat's field order. Current era by default (no nickname,
 * sex, region or avatar since 2021-12-27); `legacyProfile` adds the seeds' era fields.
 * Non-followers get only `subscribe`, `openid` and (on unionBound accounts) `unionid`.
 * @see https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html
 */
export function cgiUserInfo(account: SimAccount, user: SimUser, origin: string): Record<string, unknown> {
  const unionid = account.settings.unionBound ? user.unionid : undefined;
  if (user.subscribe === 0) {
    return unionid === undefined
      ? { subscribe: 0, openid: user.openid }
      : { subscribe: 0, openid: user.openid, unionid };
  }
  if (account.settings.legacyProfile) {
    return {
      subscribe: 1,
      openid: user.openid,
      nickname: user.nickname,
      sex: user.sex,
      language: user.language,
      city: user.city,
      province: user.province,
      country: user.country,
      headimgurl: headimgurlOf(user, origin),
      subscribe_time: user.subscribeTime,
      unionid,
      remark: user.remark,
      groupid: user.groupid,
      tagid_list: user.tagidList,
      subscribe_scene: user.subscribeScene,
      qr_scene: user.qrScene,
      qr_scene_str: user.qrSceneStr,
    };
  }
  return {
    subscribe: 1,
    openid: user.openid,
    language: user.language,
    subscribe_time: user.subscribeTime,
    unionid,
    remark: user.remark,
    groupid: user.groupid,
    tagid_list: user.tagidList,
    subscribe_scene: user.subscribeScene,
    qr_scene: user.qrScene,
    qr_scene_str: user.qrSceneStr,
  };
}

/**
 * `cgiUserInfo` serialized, cached on the user: this is the simulator's hottest answer. The cache
 * key holds what the body depends on (the account's settings version and the origin, which only
 * legacy bodies use: callers pass '' otherwise); any change to the user clears it.
 */
export function cgiUserInfoJson(account: SimAccount, user: SimUser, origin: string): string {
  const key = `${account.version} ${origin}`;
  const cached = user.infoCache;
  if (cached !== undefined && cached.key === key) return cached.json;
  const json = JSON.stringify(cgiUserInfo(account, user, origin));
  user.infoCache = { key, json };
  return json;
}

/**
 * A `/sns/userinfo` body: nickname and avatar as the user consented; sex 0 and empty region
 * (current era) unless the account is legacyProfile; `privilege` always empty.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function snsUserInfo(
  account: SimAccount,
  user: SimUser,
  unionid: string | undefined,
  origin: string,
): Record<string, unknown> {
  const legacy = account.settings.legacyProfile;
  return {
    openid: user.openid,
    nickname: user.nickname,
    sex: legacy ? user.sex : 0,
    province: legacy ? user.province : '',
    city: legacy ? user.city : '',
    country: legacy ? user.country : '',
    headimgurl: headimgurlOf(user, origin),
    privilege: [],
    unionid,
  };
}

/** A user as the control plane shows it (camelCase, like the input). */
export function controlUserView(user: SimUser, origin: string): Record<string, unknown> {
  return {
    openid: user.openid,
    unionid: user.unionid,
    nickname: user.nickname,
    sex: user.sex,
    headimgurl: headimgurlOf(user, origin),
    subscribe: user.subscribe,
    subscribeScene: user.subscribeScene,
    subscribeTime: user.subscribeTime,
    language: user.language,
    remark: user.remark,
    groupid: user.groupid,
    tagidList: user.tagidList,
    qrScene: user.qrScene,
    qrSceneStr: user.qrSceneStr,
    city: user.city,
    province: user.province,
    country: user.country,
  };
}
