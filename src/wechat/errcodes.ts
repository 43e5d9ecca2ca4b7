/**
 * WeChat's global return codes that wxhub knows, with the message WeChat sends (the simulator
 * answers these; clients never match on them) and what a client should do.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
 */
export type ErrAction =
  | 'retry' // transient: back off and try again
  | 'refresh' // token dead: refresh-if-current, retry once
  | 'config' // operator must fix something: stop and alert
  | 'quota' // daily quota gone: stop calling, serve cached
  | 'relogin' // OAuth code / refresh token unusable: restart login
  | 'report'; // caller's problem: surface as is

interface ErrInfo {
  readonly errmsg: string;
  readonly action: ErrAction;
}

export const ERRCODES: Readonly<Record<number, ErrInfo>> = {
  [-1]: { errmsg: 'system error', action: 'retry' },
  // Web-authorization page errors (open.weixin.qq.com shows them on an HTML page, not as JSON).
  10003: { errmsg: 'redirect_uri 域名与后台配置不一致', action: 'config' },
  10004: { errmsg: '此公众号被封禁', action: 'config' },
  10005: { errmsg: '此公众号并没有这些 scope 的权限', action: 'config' },
  10006: { errmsg: '必须关注此测试号', action: 'report' },
  10009: { errmsg: '操作太频繁了，请稍后重试', action: 'retry' },
  10010: { errmsg: 'scope 不能为空', action: 'report' },
  10011: { errmsg: 'redirect_uri 不能为空', action: 'report' },
  10012: { errmsg: 'appid 不能为空', action: 'config' },
  10013: { errmsg: 'state 不能为空', action: 'report' },
  10015: { errmsg: '公众号未授权第三方平台，请检查授权状态', action: 'config' },
  10016: { errmsg: '不支持微信开放平台的 Appid，请使用公众号 Appid', action: 'config' },
  40001: {
    errmsg:
      'invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r',
    action: 'refresh',
  },
  40002: { errmsg: 'invalid grant_type', action: 'report' },
  40003: { errmsg: 'invalid openid', action: 'report' },
  40008: { errmsg: 'invalid message type', action: 'report' },
  40013: { errmsg: 'invalid appid', action: 'config' },
  40014: { errmsg: 'invalid access_token', action: 'refresh' },
  40029: { errmsg: 'invalid code', action: 'relogin' },
  40030: { errmsg: 'invalid refresh_token', action: 'relogin' },
  40032: { errmsg: 'invalid openid list size', action: 'report' },
  40052: { errmsg: 'invalid action name', action: 'report' },
  40053: { errmsg: 'invalid action info, please check document', action: 'report' },
  40097: { errmsg: 'invalid args', action: 'report' },
  40066: { errmsg: 'invalid url', action: 'report' },
  40125: { errmsg: 'invalid appsecret', action: 'config' },
  40163: { errmsg: 'code been used', action: 'relogin' },
  40164: { errmsg: 'invalid ip, not in whitelist', action: 'config' },
  40243: {
    errmsg: 'AppSecret is frozen, unfreeze it in the MP console before calling again',
    action: 'config',
  },
  41001: { errmsg: 'access_token missing', action: 'report' },
  41002: { errmsg: 'appid missing', action: 'report' },
  41003: { errmsg: 'refresh_token missing', action: 'relogin' },
  41004: { errmsg: 'appsecret missing', action: 'report' },
  41008: { errmsg: 'missing code', action: 'relogin' },
  41009: { errmsg: 'missing openid', action: 'report' },
  42001: { errmsg: 'access_token expired', action: 'refresh' },
  42002: { errmsg: 'refresh_token expired', action: 'relogin' },
  42003: { errmsg: 'code expired', action: 'relogin' },
  42007: { errmsg: 'access_token and refresh_token exception', action: 'relogin' },
  43001: { errmsg: 'require GET method', action: 'report' },
  43002: { errmsg: 'require POST method', action: 'report' },
  43004: { errmsg: 'require subscribe', action: 'report' },
  44002: { errmsg: 'empty post data', action: 'report' },
  44004: { errmsg: 'empty content', action: 'report' },
  45008: { errmsg: 'article size out of limit', action: 'report' },
  45009: {
    errmsg: 'reach max api daily quota limit, could get access_token by getStableAccessToken',
    action: 'quota',
  },
  45011: { errmsg: 'api minute-quota reach limit', action: 'retry' },
  // Customer-service messages outside the user's window, or over its allowance (§13).
  45015: { errmsg: 'response out of time limit or subscription is canceled', action: 'report' },
  45047: { errmsg: 'out of response count limit', action: 'report' },
  47001: { errmsg: 'data format error', action: 'report' },
  48001: { errmsg: 'api unauthorized', action: 'report' },
  48006: { errmsg: 'forbid to clear quota because of reaching the limit', action: 'report' },
  50001: { errmsg: 'user unauthorized', action: 'report' },
  50002: { errmsg: 'user limited', action: 'report' },
  76021: { errmsg: 'cgi_path not found, please check', action: 'report' },
  76022: { errmsg: 'could not query this cgi_path or no permission', action: 'report' },
  89501: { errmsg: 'ip approval pending', action: 'config' },
  89503: { errmsg: 'ip call needs admin confirmation', action: 'config' },
  89506: { errmsg: 'ip refused by admin, retry in 24 hours', action: 'config' },
  89507: { errmsg: 'ip refused by admin, retry in 1 hour', action: 'config' },
};

/** The codes that mean "this access_token is dead": WxJava and wechatpy agree on exactly these. */
export const TOKEN_INVALID_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);

/** What a client should do about an errcode; unknown codes are reported as they are. */
export function errAction(errcode: number): ErrAction {
  return ERRCODES[errcode]?.action ?? 'report';
}

/** WeChat's message for an errcode (without the rid suffix). */
export function errmsgFor(errcode: number): string {
  return ERRCODES[errcode]?.errmsg ?? 'unknown error';
}
