import { resolve } from 'node:path';
import { WxhubError } from '../errors/index.js';

/** Connection URLs of the storage backends: checked at construction, redacted for messages, their secrets listed for scrubbing. */

/** A connection URL with one of `protocols` (e.g. `['redis:', 'rediss:']`); the message names the protocol, never the URL. */
export function checkUrlProtocol(url: unknown, protocols: readonly string[]): asserts url is string {
  if (typeof url !== 'string' || url.length === 0)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'url must be a non-empty string');
  const expected = protocols.map((p) => `${p}//`).join(' or ');
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `url is not a valid ${expected} URL`);
  }
  if (!protocols.includes(protocol))
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `url must be ${expected}, not ${protocol}//`);
}

/** The URL with its password (userinfo or a `password=` parameter) replaced by `***`: safe for errors and logs. */
export function redactUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/** The password in a URL's userinfo, decoded, or undefined. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every form a URL's password may take in a driver's text: `password` (default: the userinfo's,
 * decoded), the userinfo as written (percent-encoded), and a `password=` query parameter.
 */
export function urlSecrets(url: string, password = urlPassword(url)): string[] {
  const found = [password];
  try {
    const parsed = new URL(url);
    found.push(parsed.password, parsed.searchParams.get('password') ?? undefined);
  } catch {
    // unparsable: only the given password is known
  }
  return [...new Set(found.filter((s): s is string => typeof s === 'string' && s.length > 0))];
}

/**
 * The scheme (lower-cased, without its colon) and the rest of a storage URL, the `store` or
 * `database` field of the configuration; `what` names the field in errors.
 */
export function splitStorageUrl(url: unknown, what: 'store' | 'database'): { scheme: string; rest: string } {
  if (typeof url !== 'string' || url.length === 0)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `${what} URL must be a non-empty string`);
  const colon = url.indexOf(':');
  return colon > 0
    ? { scheme: url.slice(0, colon).toLowerCase(), rest: url.slice(colon + 1) }
    : { scheme: '', rest: '' };
}

/**
 * The file a `sqlite:` URL names, given what follows `sqlite:`: `PATH` resolved against `cwd`
 * (default the process's), `//abs/path`, or `:memory:`.
 */
export function sqliteUrlPath(rest: string, cwd: string | undefined, what: 'store' | 'database'): string {
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (!path)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `sqlite: ${what} URL needs a path (sqlite:PATH)`);
  return path === ':memory:' ? path : resolve(cwd ?? process.cwd(), path);
}

/** The error for a scheme no backend answers to; it names the scheme, never the URL (it may hold a password). */
export function unsupportedScheme(scheme: string, what: 'store' | 'database', supported: string): WxhubError {
  return new WxhubError(
    'WXHUB_ERR_INVALID_ARGUMENT',
    `unsupported ${what} scheme ${scheme ? `"${scheme}:"` : '(none)'}; use ${supported}`,
  );
}
