import type { Scope } from '../../db/index.js';
import type { HubServices } from '../../hub/hub-services.js';

/** The demo's two client keys: the site's own (scope `oauth`) and the operator's (`admin`). */
export interface DemoKeys {
  /** The demo site redeems login tickets with it, over the hub's HTTP API. */
  readonly oauthKey: string;
  /** Opens the operator dashboard; printed by `wxhub demo`. */
  readonly adminKey: string;
}

type KeyServices = Pick<HubServices, 'keys' | 'database'>;

/**
 * A key kept under `setting`, reused while it still verifies with the wanted scope, else a new
 * one (stored in place of the old). Demo only: a real hub never keeps a key it can read back,
 * but the demo's database is a local file holding live tokens anyway, and reusing the keys keeps
 * a restarted demo's printed admin key (and open dashboard sessions) the same.
 */
async function keptKey(
  services: KeyServices,
  setting: string,
  input: { name: string; scopes: Scope[]; appids: string[] },
): Promise<string> {
  const { settings } = services.database;
  const stored = await settings.get(setting);
  if (stored) {
    const record = await services.keys.verify(stored);
    if (record && input.scopes.every((s) => record.scopes.includes(s))) return stored;
  }
  const { key } = await services.keys.create(input);
  if (stored) {
    if (await settings.compareAndSet(setting, stored, key)) return key;
  } else if ((await settings.putIfAbsent(setting, key)) === key) {
    return key;
  }
  // Another demo process on the same file decided first: use its key.
  const winner = await settings.get(setting);
  return winner && (await services.keys.verify(winner)) ? winner : key;
}

/** Creates (first run) or reuses (restarts) the demo's oauth and admin keys. */
export async function demoKeys(services: KeyServices, appids: readonly string[]): Promise<DemoKeys> {
  const oauthKey = await keptKey(services, 'demo.oauth-key', {
    name: 'demo site (redeems login tickets)',
    scopes: ['oauth'],
    appids: [...appids],
  });
  const adminKey = await keptKey(services, 'demo.admin-key', {
    name: 'demo operator',
    scopes: ['admin'],
    appids: [],
  });
  return { oauthKey, adminKey };
}
