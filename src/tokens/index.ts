export { type Account, type AccountSpec, resolveAccount, type TokenMode } from './account.js';
export {
  type Fetched,
  fetchClassicToken,
  fetchStableToken,
  fetchTicket,
  type TicketType,
} from './fetchers.js';
export { type QuotaCounter, QuotaGuard, type QuotaWarning } from './quota-guard.js';
export { Refresher, type RefreshPlan, type RefreshResult } from './refresher.js';
export { type BackoffOptions, exponentialBackoff, type RetryStrategy } from './retry.js';
export {
  type AccountStatus,
  type CredentialKind,
  type RefreshEvent,
  type RefreshReason,
  TokenManager,
  type TokenManagerOptions,
  tokenKey,
  type UpstreamEvent,
} from './token-manager.js';
