import { WxhubError } from '../errors/index.js';
import { callWeChat, type HttpClient } from '../http/index.js';
import { type Endpoints, PATHS } from '../wechat/paths.js';

/** What WeChat handed out: a credential and its lifetime in seconds. */
export interface Fetched {
  readonly value: string;
  readonly expiresIn: number;
}

export type TicketType = 'jsapi' | 'wx_card';

/** WeChat says tokens may be up to 512 characters; anything far outside is not a token. */
const MAX_CREDENTIAL_LENGTH = 2048;
/** Longer lifetimes are implausible (a proxy or bug answering), so rejected. */
const MAX_EXPIRES_IN = 7200;

/**
 * Classic `GET /cgi-bin/token`: every call kills the previous token after 5 minutes.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
 */
export async function fetchClassicToken(
  http: HttpClient,
  endpoints: Endpoints,
  appid: string,
  secret: string,
): Promise<Fetched> {
  const body = await callWeChat(http, 'GET', endpoints.api, PATHS.token, {
    query: { grant_type: 'client_credential', appid, secret },
  });
  return plausible(PATHS.token, body.access_token, body.expires_in);
}

/**
 * `POST /cgi-bin/stable_token`: the same token during its life unless `forceRefresh`.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
 */
export async function fetchStableToken(
  http: HttpClient,
  endpoints: Endpoints,
  appid: string,
  secret: string,
  forceRefresh: boolean,
): Promise<Fetched> {
  const body = await callWeChat(http, 'POST', endpoints.api, PATHS.stableToken, {
    json: { grant_type: 'client_credential', appid, secret, force_refresh: forceRefresh },
  });
  return plausible(PATHS.stableToken, body.access_token, body.expires_in);
}

/**
 * `GET /cgi-bin/ticket/getticket`: the JS-SDK (`jsapi`) or card (`wx_card`) ticket.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html
 */
export async function fetchTicket(
  http: HttpClient,
  endpoints: Endpoints,
  accessToken: string,
  type: TicketType,
): Promise<Fetched> {
  const body = await callWeChat(http, 'GET', endpoints.api, PATHS.ticket, {
    query: { access_token: accessToken, type },
  });
  return plausible(PATHS.ticket, body.ticket, body.expires_in);
}

function plausible(path: string, value: unknown, expiresIn: unknown): Fetched {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CREDENTIAL_LENGTH) {
    throw new WxhubError('WXHUB_ERR_UPSTREAM_BODY', `${path} answered without a usable credential`);
  }
  const seconds = typeof expiresIn === 'string' ? Number(expiresIn) : expiresIn;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 1 || seconds > MAX_EXPIRES_IN) {
    throw new WxhubError(
      'WXHUB_ERR_UPSTREAM_BODY',
      `${path} answered an implausible expires_in: ${String(expiresIn)}`,
    );
  }
  // No lower bound: a stable token fetched in its last minutes legitimately has a short life left.
  return { value, expiresIn: seconds };
}
