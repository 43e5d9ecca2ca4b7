import { randomBytes } from 'node:crypto';
import type { HubServices } from '../../hub/hub-services.js';

/**
 * The secret that signs the pages' session cookies, made once per database and kept there: every
 * hub of a fleet (and a restarted one) signs and checks with the same secret.
 */
export async function sessionSecret(services: Pick<HubServices, 'database'>): Promise<string> {
  return services.database.settings.putIfAbsent('web.session-key', randomBytes(32).toString('base64url'));
}
