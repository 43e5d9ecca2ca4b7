export { claimsFor, SCOPE_CLAIMS, type WeChatClaims } from './account-claims.js';
export { chooseLoginRoute, type FollowLoginPort, type LoginRoute } from './login-routing.js';
export {
  type NewOidcClient,
  type OidcClientConfig,
  RuntimeClients,
  type StoredOidcClient,
} from './oidc-clients.js';
export { OIDC_PREFIX, oidcRoutes } from './oidc-routes.js';
export { createOidcService, issuerOf, type OidcService } from './oidc-service.js';
export { SigningKeys } from './signing-keys.js';
