import { describe, expect, it } from 'vitest';
import { encodeQueryPart, queryParam, withParam } from '../../src/http/index.js';

describe('queryParam', () => {
  it('reads the first value as URLSearchParams.get does', () => {
    const cases = [
      ['access_token=T1&openid=o&access_token=T2', 'access_token'],
      ['openid=o%2BA&x=a+b', 'openid'],
      ['openid=o%2BA&x=a+b', 'x'],
      ['flag&x=1', 'flag'],
      ['access%5Ftoken=T&y=1', 'access_token'],
      ['x=%E4%BB%A3%E7%90%86', 'x'],
      ['x=%zz%41', 'x'],
      ['a=1&&b=2', 'b'],
      ['a=1', 'missing'],
      ['', 'a'],
    ] as const;
    for (const [search, name] of cases) {
      expect(queryParam(search, name), `${search} ${name}`).toBe(new URLSearchParams(search).get(name));
    }
  });
});

describe('withParam', () => {
  it('replaces every occurrence with one, where the first stood, leaving the rest as written', () => {
    expect(
      withParam('openid=o%2BA~&access_token=S&note=a+b&access_token=x&lang=zh_CN', 'access_token', 'REAL'),
    ).toBe('openid=o%2BA~&access_token=REAL&note=a+b&lang=zh_CN');
    expect(withParam('access%5Ftoken=S&b=1', 'access_token', 'REAL')).toBe('access_token=REAL&b=1');
  });

  it('appends when the name is absent, and encodes the value as URLSearchParams would', () => {
    expect(withParam('openid=o', 'access_token', 'T')).toBe('openid=o&access_token=T');
    expect(withParam('', 'access_token', 'T')).toBe('access_token=T');
    expect(withParam('a=1&&b=2', 'secret', 'a b&c')).toBe('a=1&b=2&secret=a+b%26c');
    expect(new URLSearchParams(withParam('x=1', 'secret', "a b&c=!'()~")).get('secret')).toBe("a b&c=!'()~");
  });
});

describe('encodeQueryPart', () => {
  it('encodes as URLSearchParams does, and leaves URL-safe text alone', () => {
    for (const text of ['abc_-.*', 'a b', '代理', "!'()~", 'a&b=c', '']) {
      expect(encodeQueryPart(text), text).toBe(new URLSearchParams({ x: text }).toString().slice(2));
    }
  });
});
