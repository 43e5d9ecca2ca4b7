import { createHmac, randomBytes } from 'node:crypto';
import { WxhubError } from '../../errors/index.js';

/** A Standard Webhooks secret: `whsec_` + base64 of 24 to 64 random bytes. */
const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** A new subscriber secret, shown once to the operator. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The HMAC key inside a `whsec_` secret; a typed error naming the subscriber otherwise. */
export function webhookKey(secret: string, subscriber: string): Buffer {
  const match = SECRET.exec(secret);
  const key = match ? Buffer.from(match[1]!, 'base64') : Buffer.alloc(0);
  if (key.length < 24 || key.length > 64) {
    throw new WxhubError(
      'WXHUB_ERR_INVALID_CONFIG',
      `subscriber ${subscriber}: secret must be "whsec_" + base64 of 24–64 bytes (e.g. from wxhub subscribers create)`,
    );
  }
  return key;
}

/**
 * The three headers of one delivery attempt (standardwebhooks.com): the event id (the same on
 * every retry), the attempt's Unix time, and `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`.
 */
export function webhookHeaders(
  key: Buffer,
  id: string,
  body: string,
  nowSeconds: number,
): Record<string, string> {
  const timestamp = String(nowSeconds);
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
