import { isWxhubError, WxhubError } from '../errors/index.js';

/** The URL with its password (if any) replaced by `***`: safe for errors and logs. */
export function redactUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/** The password in a URL, decoded, or undefined. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

/**
 * A `WXHUB_ERR_STORE_UNAVAILABLE` for `backend` at `where` (a redacted URL or a path). The
 * driver's message is kept, with every secret scrubbed; the driver's error is the cause only
 * when it carries no secret.
 */
export function storeUnavailable(
  backend: string,
  where: string,
  err: unknown,
  secrets: readonly (string | undefined)[] = [],
): WxhubError {
  if (isWxhubError(err)) return err;
  const raw = err instanceof Error ? err.message || err.name : String(err);
  const message = scrub(raw, secrets);
  const leaks = message !== raw || (err instanceof Error && scrub(err.stack ?? '', secrets) !== err.stack);
  return new WxhubError('WXHUB_ERR_STORE_UNAVAILABLE', `${backend} ${where}: ${message}`, {
    cause: leaks ? undefined : err,
  });
}
