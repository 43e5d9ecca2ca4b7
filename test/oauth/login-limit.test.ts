import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addressBucket } from '../../src/server/index.js';
import { ENCRYPTION_KEY, type OAuthFixture, oauthFixture, SHOP_RETURN } from './support/oauth-fixture.js';

describe('login starts are bounded per client address', () => {
  let t: OAuthFixture;
  beforeAll(async () => {
    t = await oauthFixture({
      database: 'memory',
      config: { oauth: { encryptionKey: ENCRYPTION_KEY, loginRateLimit: { perSecond: 1, burst: 3 } } },
    });
  });
  afterAll(() => t?.close());

  const start = (remoteAddress: string, returnTo = SHOP_RETURN) =>
    t.inject({ url: t.loginUrl(t.shop.appid, returnTo), remoteAddress });

  it('past the burst: a bilingual 429 page with Retry-After, and no state stored or cookie set', async () => {
    for (let i = 0; i < 3; i++) expect((await start('203.0.113.7')).statusCode).toBe(302);
    const stored = vi.spyOn(t.hub.store, 'putOnce');
    const refused = await start('203.0.113.7');
    expect(stored).not.toHaveBeenCalled();
    stored.mockRestore();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['x-wxhub-error']).toBe('WXHUB_ERR_RATE_LIMITED');
    expect(String(refused.headers['content-type'])).toContain('text/html');
    expect(refused.body).toContain('请稍后再试');
    expect(refused.body).toContain('please try again in a moment');
    expect(refused.headers.location).toBeUndefined();
    expect(refused.headers['set-cookie']).toBeUndefined();
    // Another client is not affected; the first one gets a start back as its bucket refills.
    expect((await start('203.0.113.8')).statusCode).toBe(302);
    t.clock.advance(1000);
    expect((await start('203.0.113.7')).statusCode).toBe(302);
    expect((await start('203.0.113.7')).statusCode).toBe(429);
  });

  it('counts an IPv6 client by its /64, which one host can fill with addresses at will', async () => {
    for (const host of ['1', '2', 'ffff:ffff'])
      expect((await start(`2001:db8:1:2::${host}`)).statusCode).toBe(302);
    expect((await start('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).statusCode).toBe(429);
    expect((await start('2001:db8:1:3::1')).statusCode).toBe(302);
  });

  it('a refused login link costs nothing: only starts that keep a state count', async () => {
    for (let i = 0; i < 5; i++)
      expect((await start('198.51.100.1', 'https://evil.example.com/')).statusCode).toBe(400);
    for (let i = 0; i < 3; i++) expect((await start('198.51.100.1')).statusCode).toBe(302);
  });

  it('the default allows a burst of 100 starts per address, then 10 a second', async () => {
    const hub = await oauthFixture({ database: 'memory' });
    try {
      const go = () =>
        hub.inject({ url: hub.loginUrl(hub.shop.appid, SHOP_RETURN), remoteAddress: '192.0.2.9' });
      for (let i = 0; i < 100; i++) expect((await go()).statusCode).toBe(302);
      expect((await go()).statusCode).toBe(429);
      hub.clock.advance(100);
      expect((await go()).statusCode).toBe(302);
      expect((await go()).statusCode).toBe(429);
    } finally {
      await hub.close();
    }
  });
});

describe('addressBucket', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['unix-socket', 'unix-socket'],
  ])('%s → %s', (ip, bucket) => {
    expect(addressBucket(ip)).toBe(bucket);
  });
});
