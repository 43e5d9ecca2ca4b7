import type { WxhubError } from '../errors/index.js';
import type { DriverTarget } from './driver-error.js';
import { closedError, type SqlFailureKind, type SqlRole, sqlError } from './sql-failure.js';

/** What the SQLite and PostgreSQL connections share: whose they are, where they point, the closed state and the error rule. */
export abstract class SqlConnection {
  readonly #role: SqlRole;
  readonly #target: DriverTarget;
  readonly #classify: (err: unknown) => SqlFailureKind;
  #closed = false;

  protected constructor(role: SqlRole, target: DriverTarget, classify: (err: unknown) => SqlFailureKind) {
    this.#role = role;
    this.#target = target;
    this.#classify = classify;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Throws the role's "is closed" error once the connection was closed. */
  checkOpen(): void {
    if (this.#closed) throw closedError(this.#role, this.#target);
  }

  /** A driver error as the role's outage or as a SQL bug, secrets scrubbed (see sql-failure). */
  error(err: unknown): WxhubError {
    return sqlError(this.#role, this.#target, err, this.#classify);
  }

  /** Marks the connection closed; false when it already was. */
  protected markClosed(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return true;
  }
}
