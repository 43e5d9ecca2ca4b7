import type { TicketType } from '../tokens/fetchers.js';

/**
 * Where a WeChatClient gets its credentials: a local engine (LocalTokenProvider) or a hub
 * (HubTokenProvider). Both speak refresh-if-current.
 */
export interface TokenProvider {
  /** A valid access_token for `appid`. */
  getAccessToken(appid: string): Promise<string>;
  /** The caller saw 40001/40014/42001 with `staleToken`: refresh only if it is still current. */
  refreshAccessToken(appid: string, staleToken: string): Promise<string>;
  /** A valid ticket (`jsapi` for JS-SDK signatures). */
  getTicket(appid: string, type: TicketType): Promise<string>;
  close?(): Promise<void>;
}
