import pino, { type DestinationStream, type Logger } from 'pino';
import { redactUrl } from '../http/redact.js';

/** Fields that hold a credential wherever they appear: censored at the top level and one level down. */
const CREDENTIAL_FIELDS = [
  'secret',
  'appsecret',
  'access_token',
  'refresh_token',
  'stale_token',
  'ticket',
  'authorization',
  'cookie',
];

/** Fields that hold a URL: logged with their secret parameters redacted, not dropped. */
const URL_FIELDS = ['url', 'req.url'];

/** Every redact path: credential fields, headers, and URL fields (which the censor redacts). */
const REDACTED_PATHS: readonly string[] = [
  ...CREDENTIAL_FIELDS,
  ...CREDENTIAL_FIELDS.map((field) => `*.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
  // A field named `key` is a client key (request lines name keys by `keyId`).
  'key',
  ...URL_FIELDS,
];

/**
 * The hub's pino logger, the one `wxhub serve` and `createHub` build. Request lines are built by
 * the hub with redacted URLs; the redaction here is a second line of defence for anything that
 * logs a credential field, headers or a URL: credential fields become `***`, URL fields keep
 * their path and lose their secret parameters (`redactUrl`, every spelling of the name).
 */
export function createHubLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'wxhub' },
      redact: { paths: [...REDACTED_PATHS], censor },
    },
    destination,
  );
}

function censor(value: unknown, path: string[]): unknown {
  const field = path.at(-1);
  if (field === 'url' && typeof value === 'string') return redactUrl(value);
  return '***';
}
