import { type ErrorCode, isWxhubError, WxhubError } from '../errors/index.js';

/**
 * Turning a storage driver's error (pg, better-sqlite3, ioredis) into a WxhubError that is safe to
 * log: the message names the backend and where it is, every secret scrubbed; the driver's error
 * is kept as `cause` only when nothing reachable from it carries a secret.
 */

/** Which backend failed and where, with the secrets its errors must never show. */
export interface DriverTarget {
  readonly backend: string;
  /** A path, or the URL with its password replaced by `***`. */
  readonly where: string;
  /** Strings scrubbed from messages (a URL password, raw and decoded). */
  readonly secrets: readonly string[];
}

/** `text` with every secret replaced by `***`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

/**
 * True when any string reachable from `value` holds a secret: message, stack, every own field
 * (pg's `detail`, `where`, `internalQuery`...), the `cause` chain and an AggregateError's errors.
 */
export function carriesSecret(value: unknown, secrets: readonly string[], depth = 0): boolean {
  if (secrets.length === 0 || depth > 4) return false;
  if (typeof value === 'string') return secrets.some((s) => s && value.includes(s));
  if (typeof value !== 'object' || value === null) return false;
  const fields = new Set<PropertyKey>(Object.getOwnPropertyNames(value));
  for (const name of ['message', 'stack', 'cause', 'errors']) fields.add(name);
  for (const name of fields) {
    let field: unknown;
    try {
      field = (value as Record<PropertyKey, unknown>)[name];
    } catch {
      continue;
    }
    if (Array.isArray(field)) {
      if (field.some((item) => carriesSecret(item, secrets, depth + 1))) return true;
    } else if (carriesSecret(field, secrets, depth + 1)) return true;
  }
  return false;
}

/**
 * The driver's code behind `err`: an SQLSTATE (`23505`), `SQLITE_*`, or a Node system code
 * (`ECONNREFUSED`); for an error driverError wrapped, the code of the driver error inside.
 */
export function driverCode(err: unknown): string | undefined {
  if (isWxhubError(err)) {
    const kept = (err as { driverCode?: unknown }).driverCode;
    return typeof kept === 'string' ? kept : undefined;
  }
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A WxhubError of `code` for `err` at `target`: `backend where: message[ (note)]`, secrets
 * scrubbed. The driver's code stays readable through `driverCode()` (callers branch on 23505 or
 * SQLITE_CONSTRAINT), and the driver's error is the cause only when it carries no secret.
 * A WxhubError passes through unchanged.
 */
export function driverError(code: ErrorCode, target: DriverTarget, err: unknown, note?: string): WxhubError {
  if (isWxhubError(err)) return err;
  const raw = err instanceof Error ? err.message || err.name : String(err);
  const message = scrubSecrets(raw, target.secrets);
  const wrapped = new WxhubError(
    code,
    `${target.backend} ${target.where}: ${message}${note ? ` (${note})` : ''}`,
    { cause: carriesSecret(err, target.secrets) ? undefined : err },
  );
  const original = driverCode(err);
  if (original !== undefined) Object.defineProperty(wrapped, 'driverCode', { value: original });
  return wrapped;
}

/** `WXHUB_ERR_STORE_UNAVAILABLE` for a store backend (Redis, SQLite, PostgreSQL). */
export function storeUnavailable(target: DriverTarget, err: unknown): WxhubError {
  return driverError('WXHUB_ERR_STORE_UNAVAILABLE', target, err);
}
