import { describe, expect, it } from 'vitest';
import { appendParam, checkReturnTo, parseReturnToRules } from '../../src/oauth/index.js';

const rules = parseReturnToRules(['https://shop.example.com', 'https://app.example.com/account/']);
const allowed = (value: string) => checkReturnTo(value, rules).ok;

describe('return_to allowlist', () => {
  it('allows the listed origins, keeping path, query and fragment', () => {
    expect(checkReturnTo('https://shop.example.com/cart?x=1#top', rules)).toEqual({
      ok: true,
      url: 'https://shop.example.com/cart?x=1#top',
    });
    expect(allowed('https://shop.example.com')).toBe(true);
    expect(allowed('https://SHOP.example.com:443/')).toBe(true);
  });

  it('refuses other origins: scheme, port, host suffix or prefix', () => {
    for (const value of [
      'http://shop.example.com/',
      'https://shop.example.com:8443/',
      'https://shop.example.com.evil.com/',
      'https://evil-shop.example.com/',
      'https://example.com/',
      'https://evil.com/?https://shop.example.com',
    ]) {
      expect(allowed(value), value).toBe(false);
    }
  });

  it('matches a path prefix on a segment boundary only', () => {
    expect(allowed('https://app.example.com/account')).toBe(true);
    expect(allowed('https://app.example.com/account/')).toBe(true);
    expect(allowed('https://app.example.com/account/orders?id=1')).toBe(true);
    expect(allowed('https://app.example.com/accounting')).toBe(false);
    expect(allowed('https://app.example.com/')).toBe(false);
    expect(allowed('https://app.example.com/account/../admin')).toBe(false);
    expect(allowed('https://app.example.com/account/%2e%2e/admin')).toBe(false);
    expect(allowed('https://app.example.com/account%2F..%2Fadmin')).toBe(false);
  });

  it('refuses the tricks a browser reads differently', () => {
    const tricks = [
      '//evil.com/',
      '///evil.com/',
      'https:evil.com',
      'https:/evil.com',
      'https:\\\\evil.com',
      'https://shop.example.com\\@evil.com/',
      'https://shop.example.com@evil.com/',
      'https://user:pw@shop.example.com/',
      'https://@shop.example.com/',
      ' https://shop.example.com/',
      'https://shop.example.com/\nLocation: x',
      'https://shop.example.com/\t',
      'javascript:alert(1)//https://shop.example.com',
      'data:text/html,hi',
      '/relative/path',
      'shop.example.com',
      '',
      'x'.repeat(3000),
    ];
    for (const value of tricks) expect(allowed(value), JSON.stringify(value)).toBe(false);
    expect(checkReturnTo(['https://shop.example.com'], rules).ok).toBe(false);
    expect(checkReturnTo(undefined, rules)).toEqual({ ok: false, reason: expect.stringMatching(/required/) });
  });

  it('refuses scheme-relative forms of an allowed host, which URL parsers would complete', () => {
    for (const value of ['https:/shop.example.com/', 'https:shop.example.com', 'HTTPS:/shop.example.com/x']) {
      expect(checkReturnTo(value, rules), value).toEqual({
        ok: false,
        reason: 'return_to must be an absolute http(s) URL',
      });
    }
  });

  it('takes at most 2048 characters, however allowed the URL', () => {
    const at = (length: number) => `https://shop.example.com/${'a'.repeat(length - 25)}`;
    expect(at(2048)).toHaveLength(2048);
    expect(checkReturnTo(at(2048), rules).ok).toBe(true);
    expect(checkReturnTo(at(2049), rules)).toEqual({
      ok: false,
      reason: 'return_to must be at most 2048 characters',
    });
  });

  it('says why, and refuses everything when the account lists nothing', () => {
    expect(checkReturnTo('https://evil.com/', rules)).toEqual({
      ok: false,
      reason: "https://evil.com/ is not in this account's oauth.returnTo",
    });
    expect(checkReturnTo('https://shop.example.com/', [])).toEqual({
      ok: false,
      reason: expect.stringMatching(/allows no return_to/),
    });
  });

  it('drops a planted wxhub_ticket or wxhub_error, keeping the rest of the query as written', () => {
    expect(checkReturnTo('https://shop.example.com/p?a=%20b&wxhub_ticket=planted&c=d', rules)).toEqual({
      ok: true,
      url: 'https://shop.example.com/p?a=%20b&c=d',
    });
    expect(checkReturnTo('https://shop.example.com/p?wxhub%5Ferror=x', rules)).toEqual({
      ok: true,
      url: 'https://shop.example.com/p',
    });
  });

  it('appendParam keeps the existing query and the fragment', () => {
    expect(appendParam('https://s.example/p?x=1#frag', 'wxhub_ticket', 'T')).toBe(
      'https://s.example/p?x=1&wxhub_ticket=T#frag',
    );
    expect(appendParam('https://s.example/p', 'wxhub_error', 'access_denied')).toBe(
      'https://s.example/p?wxhub_error=access_denied',
    );
    expect(appendParam('https://s.example/p?', 'a', 'b')).toBe('https://s.example/p?a=b');
  });
});
