import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';

describe('oauth configuration', () => {
  it('defaults: no key (generated into the database), 600 s states, 60 s tickets, 10 login starts/s', () => {
    expect(parseConfig({}).oauth).toEqual({
      stateTtlSeconds: 600,
      ticketTtlSeconds: 60,
      loginRateLimit: { perSecond: 10, burst: 100 },
    });
    expect(parseConfig({ oauth: { loginRateLimit: { burst: 5 } } }).oauth.loginRateLimit).toEqual({
      perSecond: 10,
      burst: 5,
    });
  });

  it('takes a 32-byte key as hex or base64, from the environment too', () => {
    const hex = randomBytes(32).toString('hex');
    expect(parseConfig({ oauth: { encryptionKey: hex } }).oauth.encryptionKey).toBe(hex);
    const b64 = randomBytes(32).toString('base64');
    const config = parseConfig({ oauth: { encryptionKey: 'env:WXHUB_OAUTH_KEY' } }, { WXHUB_OAUTH_KEY: b64 });
    expect(config.oauth.encryptionKey).toBe(b64);
  });

  it('refuses a key of the wrong size without echoing it, and out-of-range TTLs and limits', () => {
    const short = randomBytes(16).toString('hex');
    let message = '';
    try {
      parseConfig({
        oauth: {
          encryptionKey: short,
          stateTtlSeconds: 5,
          ticketTtlSeconds: 3600,
          loginRateLimit: { perSecond: 0, burst: 0 },
        },
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('oauth.encryptionKey: must be 32 bytes');
    expect(message).toContain('oauth.stateTtlSeconds');
    expect(message).toContain('oauth.ticketTtlSeconds');
    expect(message).toContain('oauth.loginRateLimit.perSecond');
    expect(message).toContain('oauth.loginRateLimit.burst');
    expect(message).not.toContain(short);
  });
});
