/**
 * The WeChat paths wxhub speaks, on the API host unless noted.
 * @see shared/wechat-api.md for each one's parameters and quirks.
 */
export const PATHS = {
  token: '/cgi-bin/token',
  stableToken: '/cgi-bin/stable_token',
  ticket: '/cgi-bin/ticket/getticket',
  userInfo: '/cgi-bin/user/info',
  userBatchGet: '/cgi-bin/user/info/batchget',
  userList: '/cgi-bin/user/get',
  clearQuota: '/cgi-bin/clear_quota',
  clearQuotaV2: '/cgi-bin/clear_quota/v2',
  quotaGet: '/cgi-bin/openapi/quota/get',
  oauthAccessToken: '/sns/oauth2/access_token',
  oauthRefreshToken: '/sns/oauth2/refresh_token',
  snsUserInfo: '/sns/userinfo',
  snsAuth: '/sns/auth',
  /** On the authorization host. */
  authorize: '/connect/oauth2/authorize',
} as const;

/** Base URLs of WeChat's hosts; one setting moves every call (token, OAuth, authorize links). */
export interface Endpoints {
  /** API host, e.g. https://api.weixin.qq.com */
  readonly api: string;
  /** Authorization host, e.g. https://open.weixin.qq.com */
  readonly open: string;
}

export const WECHAT_ENDPOINTS: Endpoints = Object.freeze({
  api: 'https://api.weixin.qq.com',
  open: 'https://open.weixin.qq.com',
});
