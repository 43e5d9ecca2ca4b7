export { AccountAdmin, type AccountAdminOptions, type EnableResult } from './account-admin.js';
export {
  Appid,
  AppSecret,
  CallbackBody,
  type CallbackInput,
  type NewAccount,
  NewAccountBody,
  type NewAccountInput,
  SecretBody,
} from './account-input.js';
export {
  ACCOUNT_POLL_MS,
  type AccountChange,
  type AccountChangeListener,
  AccountRegistry,
  type AccountRegistryOptions,
  type RegisteredAccount,
} from './account-registry.js';
export { accountRoutes, hubAccountAdmin } from './account-routes.js';
export { AccountBody, type AccountView, accountView } from './account-view.js';
export { ENABLE_REQUESTS_SETTING, readEnableRequests, requestEnable } from './enable-requests.js';
export { followAccounts, needsToken, tokenSpec, tokenSpecs } from './follow-accounts.js';
export { type HubAccounts, type HubAccountsOptions, openHubAccounts } from './hub-accounts.js';
export { missingSecretsKey, SECRETS_KEY_ENV, SECRETS_KEY_HINT, SecretBox } from './secret-box.js';
