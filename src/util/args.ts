import { WxhubError } from '../errors/index.js';

/** An argument error that names the argument. */
export function invalidArgument(message: string): WxhubError {
  return new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', message);
}

/** Checks a required string argument at a public boundary. */
export function requireString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalidArgument(`${name} must be a non-empty string`);
}
