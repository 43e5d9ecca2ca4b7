import { WxhubError } from '../errors/index.js';
import type { CredentialInput } from './store.js';

/**
 * Argument checks shared by every backend, so a bad call fails the same way on each (and never
 * reaches a driver that would coerce it, e.g. Redis rounding a fractional TTL).
 */

export function checkName(argument: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `${argument} must be a non-empty string`);
}

export function checkString(argument: string, value: unknown): asserts value is string {
  if (typeof value !== 'string')
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `${argument} must be a string`);
}

/** A TTL in ms: a positive safe integer (backends store milliseconds, never fractions). */
export function checkTtl(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw new WxhubError(
      'WXHUB_ERR_INVALID_ARGUMENT',
      `${argument} must be a positive integer of milliseconds`,
    );
}

export function checkInteger(
  argument: string,
  value: unknown,
  min = Number.MIN_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new WxhubError(
      'WXHUB_ERR_INVALID_ARGUMENT',
      `${argument} must be an integer${min === 0 ? ' >= 0' : ''}`,
    );
}

/** The arguments of `compareAndSetCredential`, checked the same way by every backend. */
export function checkCompareAndSet(key: unknown, expectedVersion: unknown, next: unknown): void {
  checkName('key', key);
  checkInteger('expectedVersion', expectedVersion, 0);
  checkCredentialInput(next);
}

export function checkCredentialInput(next: unknown): asserts next is CredentialInput {
  if (typeof next !== 'object' || next === null)
    throw new WxhubError(
      'WXHUB_ERR_INVALID_ARGUMENT',
      'next must be a credential {value, expiresAt, fetchedAt}',
    );
  const n = next as Record<string, unknown>;
  checkString('next.value', n.value);
  checkInteger('next.expiresAt', n.expiresAt);
  checkInteger('next.fetchedAt', n.fetchedAt);
}
