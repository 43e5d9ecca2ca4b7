export { completeLogin, REFRESH_TOKEN_LIFETIME_MS } from './complete-login.js';
export { type LoginState, STATE_COOKIE } from './login-state.js';
export {
  GENERATED_KEY_SETTING,
  type OAuthContext,
  type OAuthOptions,
  type OAuthSource,
  oauthContext,
} from './oauth-context.js';
export { type OAuthRoutesOptions, oauthRoutes } from './oauth-routes.js';
export { type RefreshProfileOptions, refreshProfile } from './refresh-profile.js';
export {
  appendParam,
  checkReturnTo,
  parseReturnToRules,
  type ReturnToCheck,
  type ReturnToRule,
} from './return-to.js';
export { snapshotBody, type TicketBody, ticketBody } from './tickets.js';
export { parseEncryptionKey, TokenCipher, tokenContext } from './token-cipher.js';
