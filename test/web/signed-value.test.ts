import { describe, expect, it } from 'vitest';
import { parseCookies, serializeCookie } from '../../src/web/http/cookies.js';
import { ValueSigner } from '../../src/web/http/signed-value.js';

const KEY = 'k'.repeat(32);

describe('ValueSigner (session cookies)', () => {
  const signer = new ValueSigner(KEY);
  const now = 1_800_000_000_000;

  it('round-trips a payload for its purpose until it expires', () => {
    const value = signer.sign('demo-session', { openid: 'o1', n: 1 }, now + 1000);
    expect(value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(signer.verify('demo-session', value, now)).toEqual({ openid: 'o1', n: 1, exp: now + 1000 });
    expect(signer.verify('demo-session', value, now + 1000)).toBeNull();
  });

  it('refuses another purpose, another key, a changed payload, a changed MAC, and junk', () => {
    const value = signer.sign('admin-session', { kid: 'a' }, now + 60_000);
    expect(signer.verify('demo-session', value, now)).toBeNull();
    expect(new ValueSigner('x'.repeat(32)).verify('admin-session', value, now)).toBeNull();
    const [body, mac] = value.split('.') as [string, string];
    const forgedBody = Buffer.from(JSON.stringify({ kid: 'b', exp: now + 60_000 })).toString('base64url');
    expect(signer.verify('admin-session', `${forgedBody}.${mac}`, now)).toBeNull();
    expect(signer.verify('admin-session', `${body}.${mac.slice(0, -2)}AA`, now)).toBeNull();
    for (const junk of ['', 'abc', 'a.b.c', '.', `${body}.`, undefined]) {
      expect(signer.verify('admin-session', junk, now)).toBeNull();
    }
  });

  it('refuses a payload without a numeric expiry even when signed', () => {
    const body = Buffer.from(JSON.stringify({ kid: 'a' })).toString('base64url');
    expect(signer.verify('p', `${body}.${signer.mac('p', body)}`, now)).toBeNull();
  });

  it('needs a key of at least 32 bytes', () => {
    expect(() => new ValueSigner('short')).toThrow(/32 bytes/);
  });
});

describe('cookies', () => {
  it('parses a Cookie header (first of a name wins, quotes dropped, junk skipped)', () => {
    const cookies = parseCookies('a=1; b="two"; junk; a=3; =x; c=');
    expect([...cookies]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['c', ''],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('serializes HttpOnly cookies, Secure over HTTPS, and deletions', () => {
    expect(
      serializeCookie('s', 'v', { path: '/admin', maxAge: 28800, sameSite: 'Strict', secure: false }),
    ).toBe('s=v; Path=/admin; Max-Age=28800; HttpOnly; SameSite=Strict');
    expect(serializeCookie('s', '', { path: '/', maxAge: 0, sameSite: 'Lax', secure: true })).toBe(
      's=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure',
    );
  });
});
