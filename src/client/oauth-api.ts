import { invalidArgument, requireString } from '../util/args.js';
import { type Endpoints, PATHS } from '../wechat/paths.js';
import {
  type OAuthToken,
  oauthTokenSchema,
  okSchema,
  parseBody,
  type SnsUserInfo,
  snsUserInfoSchema,
  type WeChatOk,
} from './schemas.js';
import type { Lang } from './users-api.js';
import type { PlainCall } from './wechat-client.js';

export type OAuthScope = 'snsapi_base' | 'snsapi_userinfo';

export interface AuthorizeUrlOptions {
  /** Where WeChat sends the user back; its host must be the account's web-authorization domain. */
  readonly redirectUri: string;
  /** Default `snsapi_base` (silent, openid only). */
  readonly scope?: OAuthScope;
  /** Echoed back unchanged: `[A-Za-z0-9]`, at most 128 bytes. */
  readonly state?: string;
  readonly forcePopup?: boolean;
}

const STATE = /^[A-Za-z0-9]{0,128}$/;

/**
 * Web authorization (网页授权): the authorize link, code → web token, refresh, profile, check.
 * The web token is not the global access_token; these calls never touch the token engine.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export class OAuthApi {
  constructor(
    private readonly appid: string,
    private readonly secret: string | undefined,
    private readonly endpoints: Endpoints,
    private readonly call: PlainCall,
  ) {}

  /** The authorize link, parameters in the exact order WeChat checks, ending `#wechat_redirect`. */
  authorizeUrl(options: AuthorizeUrlOptions): string {
    requireString('redirectUri', options?.redirectUri);
    const scope = options.scope ?? 'snsapi_base';
    if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo') {
      throw invalidArgument('scope must be snsapi_base or snsapi_userinfo');
    }
    const state = options.state ?? '';
    if (!STATE.test(state)) throw invalidArgument('state must be at most 128 of [A-Za-z0-9]');
    const popup = options.forcePopup ? '&forcePopup=true' : '';
    return (
      `${this.endpoints.open}${PATHS.authorize}?appid=${this.appid}` +
      `&redirect_uri=${encodeURIComponent(options.redirectUri)}&response_type=code` +
      `&scope=${scope}&state=${state}${popup}#wechat_redirect`
    );
  }

  /**
   * The website QR login link of an Open Platform website app (this client's appid must be the
   * website app's): scope `snsapi_login`, WeChat's parameter order, ending `#wechat_redirect`.
   * The code it yields is exchanged with `exchangeCode` like a web authorization code.
   * @see https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
   */
  qrConnectUrl(options: Omit<AuthorizeUrlOptions, 'scope' | 'forcePopup'>): string {
    requireString('redirectUri', options?.redirectUri);
    const state = options.state ?? '';
    if (!STATE.test(state)) throw invalidArgument('state must be at most 128 of [A-Za-z0-9]');
    return (
      `${this.endpoints.open}${PATHS.qrconnect}?appid=${this.appid}` +
      `&redirect_uri=${encodeURIComponent(options.redirectUri)}&response_type=code` +
      `&scope=snsapi_login&state=${state}#wechat_redirect`
    );
  }

  /** Exchanges the `code` WeChat put on the redirect for a web token, openid (and unionid). */
  async exchangeCode(code: string): Promise<OAuthToken> {
    requireString('code', code);
    const body = await this.call('GET', PATHS.oauthAccessToken, {
      appid: this.appid,
      secret: this.#secret('oauth.exchangeCode'),
      code,
      grant_type: 'authorization_code',
    });
    return parseBody(oauthTokenSchema, PATHS.oauthAccessToken, body);
  }

  /** A new web token from a refresh_token (valid 30 days). */
  async refresh(refreshToken: string): Promise<OAuthToken> {
    requireString('refreshToken', refreshToken);
    const body = await this.call('GET', PATHS.oauthRefreshToken, {
      appid: this.appid,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    return parseBody(oauthTokenSchema, PATHS.oauthRefreshToken, body);
  }

  /** The profile behind a snsapi_userinfo web token (48001 for a snsapi_base one). */
  async userInfo(webToken: string, openid: string, lang: Lang = 'zh_CN'): Promise<SnsUserInfo> {
    requireString('webToken', webToken);
    requireString('openid', openid);
    const body = await this.call('GET', PATHS.snsUserInfo, { access_token: webToken, openid, lang });
    return parseBody(snsUserInfoSchema, PATHS.snsUserInfo, body);
  }

  /** Resolves `{errcode: 0, errmsg: "ok"}` while the web token is valid for `openid`; rejects otherwise. */
  async check(webToken: string, openid: string): Promise<WeChatOk> {
    requireString('webToken', webToken);
    requireString('openid', openid);
    const body = await this.call('GET', PATHS.snsAuth, { access_token: webToken, openid });
    return parseBody(okSchema, PATHS.snsAuth, body);
  }

  #secret(method: string): string {
    if (!this.secret) {
      throw invalidArgument(`secret is required for ${method}; in hub mode use the hub's /oauth login flow`);
    }
    return this.secret;
  }
}
