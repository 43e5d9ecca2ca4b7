import { ERRORS, type ErrorCode } from './registry.js';

/**
 * Every error that wxhub itself raises (as opposed to WeChat): a stable `code` from the
 * registry, the HTTP status a server answers with, and an optional cause.
 */
export class WxhubError extends Error {
  override readonly name = 'WxhubError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** WeChat's errcode when the error stands for one (e.g. a configuration error from 40125). */
  readonly errcode: number | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown; errcode?: number }) {
    const entry = ERRORS[code];
    super(detail ? `${entry.message}: ${detail}` : entry.message, { cause: options?.cause });
    this.code = code;
    this.statusCode = entry.status;
    this.errcode = options?.errcode;
  }
}

/** True for a WxhubError, optionally of one code; works across realms. */
export function isWxhubError(value: unknown, code?: ErrorCode): value is WxhubError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; code?: unknown };
  return v.name === 'WxhubError' && typeof v.code === 'string' && (code === undefined || v.code === code);
}
