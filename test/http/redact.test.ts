import { describe, expect, it } from 'vitest';
import { pathOf, redactUrl } from '../../src/http/redact.js';

describe('redactUrl', () => {
  it('hides secrets, tokens and codes but keeps the rest', () => {
    const url =
      'https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=S3CR3T';
    expect(redactUrl(url)).toBe(
      'https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=***',
    );
    expect(redactUrl('/cgi-bin/user/info?access_token=AAA&openid=o1')).toBe(
      '/cgi-bin/user/info?access_token=***&openid=o1',
    );
    expect(redactUrl('/sns/oauth2/access_token?code=C&refresh_token=R')).toBe(
      '/sns/oauth2/access_token?code=***&refresh_token=***',
    );
  });
});

describe('pathOf', () => {
  it('strips origin and query', () => {
    expect(pathOf('https://api.weixin.qq.com/cgi-bin/token?secret=x')).toBe('/cgi-bin/token');
    expect(pathOf('/sns/auth?access_token=x')).toBe('/sns/auth');
    expect(pathOf('http://127.0.0.1:1')).toBe('/');
  });
});
