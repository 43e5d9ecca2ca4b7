import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, webhookHeaders, webhookKey } from '../../src/gateway/deliver/webhook-signature.js';

describe('Standard Webhooks signing', () => {
  it("verifies with the spec's reference library", () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ id: 'evt_1', appid: 'wx1', text: '你好' });
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(webhookKey(secret, 'crm'), 'evt_1', body, now);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-timestamp']).toBe(String(now));
  });

  it('is refused by the reference library for another secret, body or id', () => {
    const secret = newWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(webhookKey(secret, 'crm'), 'evt_1', '{"a":1}', now);
    expect(() => new Webhook(newWebhookSecret()).verify('{"a":1}', headers)).toThrow();
    expect(() => new Webhook(secret).verify('{"a":2}', headers)).toThrow();
    expect(() => new Webhook(secret).verify('{"a":1}', { ...headers, 'webhook-id': 'evt_2' })).toThrow();
  });

  it('matches a signature computed from the spec by hand', () => {
    // The spec's example secret and message: base64 key, "id.timestamp.body", HMAC-SHA256.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const headers = webhookHeaders(
      webhookKey(secret, 'x'),
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      '{"test": 2432232314}',
      1614265330,
    );
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('refuses secrets that are not whsec_ with a real key, without echoing them', () => {
    for (const bad of ['', 'plain-secret', 'whsec_', 'whsec_c2hvcnQ=', `whsec_${'A'.repeat(200)}`]) {
      let error: unknown;
      try {
        webhookKey(bad, 'crm');
      } catch (err) {
        error = err;
      }
      expect(String(error)).toMatch(/subscriber crm: secret must be/);
      if (bad.length > 6) expect(String(error)).not.toContain(bad);
    }
  });
});
