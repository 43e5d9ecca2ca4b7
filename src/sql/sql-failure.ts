import { isWxhubError, WxhubError } from '../errors/index.js';
import { type DriverTarget, driverCode, driverError } from './driver-error.js';

/**
 * One rule, for the Store and the Database alike, for what a SQL driver's error means:
 * - `unavailable`: the database cannot serve us right now (refused, reset, timed out, shut down,
 *   out of disk or connections, locked beyond the busy budget, wrong credentials). An outage:
 *   503, readiness fails, the caller may retry.
 * - `bug`: the database answered and refused our SQL (a constraint, a syntax error, a missing
 *   table, a bad parameter). Not an outage, and retrying will not help: `WXHUB_ERR_INTERNAL`
 *   naming the driver's code.
 */
export type SqlFailureKind = 'unavailable' | 'bug';

/** What the failing component is called and which code stands for its outage. */
export interface SqlRole {
  readonly noun: 'store' | 'database';
  readonly unavailable: 'WXHUB_ERR_STORE_UNAVAILABLE' | 'WXHUB_ERR_DATABASE_UNAVAILABLE';
}

export const STORE_ROLE: SqlRole = { noun: 'store', unavailable: 'WXHUB_ERR_STORE_UNAVAILABLE' };
export const DATABASE_ROLE: SqlRole = { noun: 'database', unavailable: 'WXHUB_ERR_DATABASE_UNAVAILABLE' };

/**
 * SQLSTATE classes that mean "not reachable or not usable right now": 08 connection exception,
 * 28 invalid authorization, 3D no such database, 40 transaction rollback (serialization failure,
 * deadlock: try again), 53 insufficient resources, 57 operator intervention (admin shutdown,
 * cannot connect now, query canceled by a timeout), 58 system error, XX internal error.
 */
const PG_UNAVAILABLE_CLASSES = new Set(['08', '28', '3D', '40', '53', '57', '58', 'XX']);
/** Single states outside those classes that are operational, not ours: lock and idle timeouts, no privilege. */
const PG_UNAVAILABLE_STATES = new Set(['55P03', '25P03', '42501']);
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** A bug in our own code rather than the network: a driver rejecting what we passed it. */
function isProgrammingError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError;
}

/** The kind of a pg error: classified by SQLSTATE; without one, a network or pool failure unless it is a programming error. */
export function classifyPostgresError(err: unknown): SqlFailureKind {
  const code = driverCode(err);
  if (code && SQLSTATE.test(code)) {
    return PG_UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || PG_UNAVAILABLE_STATES.has(code)
      ? 'unavailable'
      : 'bug';
  }
  return isProgrammingError(err) ? 'bug' : 'unavailable';
}

/** SQLite result codes (primary, before any `_EXTENDED` suffix) that mean the file cannot serve us. */
const SQLITE_UNAVAILABLE = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_PERM',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
  'SQLITE_NOMEM',
  'SQLITE_PROTOCOL',
  'SQLITE_AUTH',
  'SQLITE_NOLFS',
]);

/** The kind of a better-sqlite3 (or file system) error. */
export function classifySqliteError(err: unknown): SqlFailureKind {
  const code = driverCode(err);
  if (code?.startsWith('SQLITE_')) {
    const primary = code.match(/^SQLITE_[A-Z]+/)?.[0] ?? code;
    return SQLITE_UNAVAILABLE.has(primary) ? 'unavailable' : 'bug';
  }
  return isProgrammingError(err) ? 'bug' : 'unavailable';
}

/**
 * The WxhubError for a SQL driver's `err`: `role.unavailable` for an outage, `WXHUB_ERR_INTERNAL`
 * saying it is a SQL bug otherwise; secrets scrubbed, the driver's code kept (see `driverCode`).
 */
export function sqlError(
  role: SqlRole,
  target: DriverTarget,
  err: unknown,
  classify: (err: unknown) => SqlFailureKind,
): WxhubError {
  if (isWxhubError(err)) return err;
  if (classify(err) === 'unavailable') return driverError(role.unavailable, target, err);
  const code = driverCode(err);
  return driverError(
    'WXHUB_ERR_INTERNAL',
    target,
    err,
    `${code ? `${code}: ` : ''}the ${target.backend} ${role.noun} refused wxhub's SQL; a bug, not an outage`,
  );
}

/** The error for any call on a closed store or database. */
export function closedError(role: SqlRole, target: DriverTarget): WxhubError {
  return new WxhubError(role.unavailable, `${target.backend} ${target.where}: ${role.noun} is closed`);
}
