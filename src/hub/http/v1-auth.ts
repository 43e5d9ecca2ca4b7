import { type KeyGate, keyGate } from '../../server/key-gate.js';
import type { HubServices } from '../hub-services.js';

export { bearerToken } from '../../server/bearer-token.js';

/** The hub's client-key gate (src/server/key-gate.ts) on its keys, accounts, limiter and metrics. */
export function hubKeyGate(hub: Pick<HubServices, 'keys' | 'manager' | 'limiter' | 'metrics'>): KeyGate {
  return keyGate({
    keys: hub.keys,
    hasAccount: (appid) => hub.manager.hasAccount(appid),
    limiter: hub.limiter,
    metrics: hub.metrics,
  });
}
