import { isWxhubError, WxhubError } from '../errors/index.js';

/**
 * A `WXHUB_ERR_DATABASE_UNAVAILABLE` for `backend` at `where` (a path or a password-redacted URL),
 * keeping the driver's message with every secret scrubbed out. The driver's error becomes the
 * cause only when it carries no secret.
 */
export function databaseUnavailable(
  backend: string,
  where: string,
  err: unknown,
  secrets: readonly (string | undefined)[] = [],
): WxhubError {
  if (isWxhubError(err)) return err;
  const raw = err instanceof Error ? err.message || err.name : String(err);
  let message = raw;
  for (const secret of secrets) if (secret) message = message.split(secret).join('***');
  return new WxhubError('WXHUB_ERR_DATABASE_UNAVAILABLE', `${backend} ${where}: ${message}`, {
    cause: message === raw ? err : undefined,
  });
}

export function databaseClosed(backend: string, where: string): WxhubError {
  return new WxhubError('WXHUB_ERR_DATABASE_UNAVAILABLE', `${backend} ${where}: database is closed`);
}

export function duplicateKey(id: string): WxhubError {
  return new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `client key id ${id} already exists`);
}
