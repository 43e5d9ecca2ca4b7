import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * WeChat's push signature: the SHA-1 hex of the parts sorted as strings and concatenated.
 * `signature` is `sign(token, timestamp, nonce)`; `msg_signature` and a safe-mode reply's
 * `MsgSignature` add the `Encrypt` text (shared/wechat-api.md §11).
 */
export function sign(...parts: readonly string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/**
 * True when `given` is the signature of `parts`. Constant time in `given`: both sides are hashed
 * to the same length first, so neither a length nor a prefix match shows in the timing.
 */
export function verifySignature(given: string | undefined, ...parts: readonly string[]): boolean {
  if (typeof given !== 'string') return false;
  const expected = createHash('sha256')
    .update(sign(...parts))
    .digest();
  const actual = createHash('sha256').update(given.toLowerCase()).digest();
  return timingSafeEqual(expected, actual);
}
