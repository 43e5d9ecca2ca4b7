import { WeChatClient } from '../../src/client/index.js';
import { openStore } from '../../src/store/index.js';
import type { PeerAdapter, PeerSpec } from './types.js';

/**
 * wxhub as its docs recommend for several processes: a WeChatClient per process on one shared
 * Store (SQLite file or Redis), every WeChat host pointed at the simulator, classic
 * `/cgi-bin/token` mode so it faces the same rules as the peers. Everything else is default
 * (change feed on, 5 s revalidation, 60 s expiry margin, retry once after 40001/40014/42001).
 */
export function createWxhubAdapter(spec: PeerSpec): PeerAdapter {
  const store = openStore(spec.store, spec.keyPrefix ? { redis: { keyPrefix: spec.keyPrefix } } : {});
  const client = new WeChatClient({
    appid: spec.appid,
    secret: spec.secret,
    store,
    endpoints: { api: spec.simUrl, open: spec.simUrl },
    tokenMode: 'classic',
  });
  return {
    spec,
    getToken: () => client.getAccessToken(),
    tokenCall: client.getAccessToken.bind(client),
    getUser: (openid) => client.users.get(openid),
    close: async () => {
      await client.close();
      await store.close();
    },
  };
}
