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
  qrcodeCreate: '/cgi-bin/qrcode/create',
  /** On mp.weixin.qq.com (no token): the image of a parametric QR code. */
  showQrcode: '/cgi-bin/showqrcode',
  customSend: '/cgi-bin/message/custom/send',
  customTyping: '/cgi-bin/message/custom/typing',
  callbackIp: '/cgi-bin/getcallbackip',
  /** On the authorization host. */
  authorize: '/connect/oauth2/authorize',
  /** On the authorization host: the website QR login of an Open Platform website app. */
  qrconnect: '/connect/qrconnect',
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
