import { randomBytes } from 'node:crypto';
import { requireString } from '../util/args.js';
import type { Clock } from '../util/clock.js';
import { jsapiSignature } from '../wechat/jssdk-signature.js';

/** What `wx.config()` needs on the page. */
export interface JsapiConfig {
  readonly appId: string;
  readonly timestamp: number;
  readonly nonceStr: string;
  readonly signature: string;
}

/** JS-SDK: signs a page URL with the account's jsapi ticket. */
export class JssdkApi {
  constructor(
    private readonly appid: string,
    private readonly ticket: () => Promise<string>,
    private readonly clock: Clock,
  ) {}

  /**
   * The `wx.config` signature for `url` (the page's full URL; any `#fragment` is dropped).
   * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html (附录1)
   */
  async sign(url: string): Promise<JsapiConfig> {
    requireString('url', url);
    const jsapi_ticket = await this.ticket();
    return signWith(this.appid, jsapi_ticket, url, this.clock);
  }
}

/** Builds a JS-SDK config from a ticket: fresh nonce, current timestamp in seconds. */
export function signWith(appId: string, jsapi_ticket: string, url: string, clock: Clock): JsapiConfig {
  const nonceStr = randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
  const timestamp = Math.floor(clock.now() / 1000);
  return {
    appId,
    timestamp,
    nonceStr,
    signature: jsapiSignature({ jsapi_ticket, noncestr: nonceStr, timestamp, url }),
  };
}
