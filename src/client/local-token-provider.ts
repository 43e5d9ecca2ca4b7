import type { TicketType } from '../tokens/fetchers.js';
import type { TokenManager } from '../tokens/token-manager.js';
import type { TokenProvider } from './token-provider.js';

/** Credentials from a TokenManager in this process (sharing its store with other processes). */
export class LocalTokenProvider implements TokenProvider {
  constructor(
    readonly manager: TokenManager,
    private readonly ownsManager = false,
  ) {}

  getAccessToken(appid: string): Promise<string> {
    return this.manager.getAccessTokenValue(appid);
  }

  async refreshAccessToken(appid: string, staleToken: string): Promise<string> {
    return (await this.manager.refreshAccessToken(appid, staleToken)).value;
  }

  async getTicket(appid: string, type: TicketType): Promise<string> {
    return (await this.manager.getTicket(appid, type)).value;
  }

  async close(): Promise<void> {
    if (this.ownsManager) await this.manager.close();
  }
}
