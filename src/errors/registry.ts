/**
 * The one registry of wxhub's own errors. Each code is stable (callers and dashboards match on
 * it), has a one-line meaning and the HTTP status a server answers with. docs/errors.md lists
 * them; test/errors/errors-doc.test.ts keeps the two in step, both ways.
 */
export const ERRORS = {
  WXHUB_ERR_INVALID_ARGUMENT: { status: 400, message: 'Invalid argument' },
  WXHUB_ERR_INVALID_CONFIG: { status: 500, message: 'Invalid configuration' },
  WXHUB_ERR_TRANSPORT: { status: 502, message: 'Upstream transport error' },
  WXHUB_ERR_TIMEOUT: { status: 504, message: 'Upstream timed out' },
  WXHUB_ERR_UPSTREAM_BODY: { status: 502, message: 'Upstream answered a body that is not WeChat JSON' },
  WXHUB_ERR_UNKNOWN_ACCOUNT: { status: 404, message: 'Unknown appid' },
  WXHUB_ERR_ACCOUNT_DISABLED: {
    status: 503,
    message: 'Account refreshing is stopped after a configuration error from WeChat',
  },
  WXHUB_ERR_ACCOUNT_EXISTS: { status: 409, message: 'An account with this appid exists already' },
  WXHUB_ERR_SECRETS_KEY: {
    status: 500,
    message: 'The secrets key is missing, malformed, or not the key that sealed the stored appsecrets',
  },
  WXHUB_ERR_QUOTA_EXHAUSTED: { status: 503, message: 'Daily token quota exhausted' },
  WXHUB_ERR_REFRESH_FAILED: { status: 503, message: 'Could not obtain a token from WeChat' },
  WXHUB_ERR_LEASE_TIMEOUT: { status: 503, message: 'Timed out waiting for another process to refresh' },
  WXHUB_ERR_STORE_UNAVAILABLE: { status: 503, message: 'Store unavailable' },
  WXHUB_ERR_DATABASE_UNAVAILABLE: { status: 503, message: 'Database unavailable' },
  WXHUB_ERR_UNAUTHORIZED: { status: 401, message: 'Missing or invalid client key' },
  WXHUB_ERR_FORBIDDEN: { status: 403, message: 'Client key lacks permission' },
  WXHUB_ERR_RATE_LIMITED: { status: 429, message: 'Rate limit exceeded' },
  WXHUB_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  WXHUB_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large' },
  WXHUB_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported request content type' },
  WXHUB_ERR_PROXY_PATH: { status: 400, message: 'Path not allowed through the drop-in proxy' },
  WXHUB_ERR_OAUTH_STATE: { status: 400, message: 'Login state is invalid, used or expired' },
  WXHUB_ERR_OAUTH_RETURN_TO: { status: 400, message: 'return_to is not in the allowed list' },
  WXHUB_ERR_OAUTH_TICKET: { status: 400, message: 'Login ticket is invalid, used or expired' },
  WXHUB_ERR_OAUTH_CODE: {
    status: 400,
    message: 'WeChat refused the login code (used or expired): log in again',
  },
  WXHUB_ERR_OAUTH_UPSTREAM: { status: 502, message: 'WeChat could not complete the login: try again' },
  WXHUB_ERR_OAUTH_LOGIN_REQUIRED: {
    status: 409,
    message: 'No usable web authorization is kept for this identity: the user must log in again',
  },
  WXHUB_ERR_CALLBACK_SIGNATURE: {
    status: 403,
    message: 'Push signature does not match the account token (forged, stale or misconfigured)',
  },
  WXHUB_ERR_CALLBACK_DECRYPT: {
    status: 400,
    message: 'Push could not be decrypted: wrong EncodingAESKey or a corrupt body',
  },
  WXHUB_ERR_CALLBACK_APPID: {
    status: 400,
    message: "Decrypted push names another appid than this account's",
  },
  WXHUB_ERR_CALLBACK_XML: {
    status: 400,
    message: 'Push body is not acceptable XML (malformed, too large, or with a DOCTYPE or entities)',
  },
  WXHUB_ERR_CALLBACK_NOT_CONFIGURED: { status: 404, message: 'This account has no callback configured' },
  WXHUB_ERR_UNKNOWN_SUBSCRIBER: {
    status: 404,
    message: 'No subscriber of the callback gateway has this name',
  },
  WXHUB_ERR_SUBSCRIBER_EXISTS: { status: 409, message: 'A subscriber with this name exists already' },
  WXHUB_ERR_SUBSCRIBER_READ_ONLY: {
    status: 409,
    message: 'This subscriber comes from the configuration file: change it there',
  },
  WXHUB_ERR_INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;
