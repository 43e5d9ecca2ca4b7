import type { ClientKeyRecord, Scope } from '../../db/index.js';
import { type KeyRefusal, keyRefusal as refusal } from '../../server/key-gate.js';
import type { HubServices } from '../hub-services.js';

export type { KeyRefusal };

/** The server's one key rule (src/server/key-gate.ts) on the hub's accounts. */
export function keyRefusal(
  hub: Pick<HubServices, 'manager'>,
  key: ClientKeyRecord,
  scope: Scope,
  appid?: string,
): KeyRefusal | null {
  return refusal((id) => hub.manager.hasAccount(id), key, scope, appid);
}
