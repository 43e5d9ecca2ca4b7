import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';

describe('hub configuration fields', () => {
  it('defaults: generous rate limit, 1 MiB drop-in bodies, no configured signing key', () => {
    const config = parseConfig({});
    expect(config.rateLimit).toEqual({ perSecond: 1000, burst: 2000 });
    expect(config.dropIn).toEqual({ maxBodyBytes: 1024 * 1024, previousSigningKeys: [] });
    expect(config.trustProxy).toBe(false);
  });

  it('takes a signing key from the environment and refuses short ones, naming the field', () => {
    const key = 'k'.repeat(40);
    expect(parseConfig({ dropIn: { signingKey: 'env:KEY' } }, { KEY: key }).dropIn.signingKey).toBe(key);
    expect(() => parseConfig({ dropIn: { signingKey: 'short' } })).toThrow(
      /dropIn\.signingKey: must be at least 32/,
    );
    expect(() => parseConfig({ dropIn: { maxBodyBytes: 10 } })).toThrow(/dropIn\.maxBodyBytes/);
    expect(() => parseConfig({ rateLimit: { perSecond: 0 } })).toThrow(/rateLimit\.perSecond/);
  });
});
