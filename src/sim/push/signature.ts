import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * WeChat's push signature: the strings sorted, concatenated, SHA-1 in lowercase hex. With
 * `[token, timestamp, nonce]` it is `signature` (URL check and every push); with the `Encrypt`
 * value added it is `msg_signature` (compatible and safe mode, and safe-mode replies).
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
 */
export function pushSignature(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** Compares a signature received with the one expected without leaking where they differ. */
export function sameSignature(received: string, expected: string): boolean {
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
