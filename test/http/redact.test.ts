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

describe('redactUrl: every spelling a server reads as a credential', () => {
  const S = 'S3CR3T_VALUE';
  it.each([
    [`/cgi-bin/token?secre%74=${S}`, '/cgi-bin/token?secre%74=***'],
    [`/cgi-bin/token?%73ecret=${S}`, '/cgi-bin/token?%73ecret=***'],
    [`/cgi-bin/token?%73%65%63%72%65%74=${S}`, '/cgi-bin/token?%73%65%63%72%65%74=***'],
    [`/cgi-bin/user/get?access%5Ftoken=${S}`, '/cgi-bin/user/get?access%5Ftoken=***'],
    [`/cgi-bin/user/get?access%5ftoken=${S}&x=1`, '/cgi-bin/user/get?access%5ftoken=***&x=1'],
    [`/cgi-bin/token?%2573ecret=${S}`, '/cgi-bin/token?%2573ecret=***'], // decoded twice by some
    [`/cgi-bin/token?SECRET=${S}`, '/cgi-bin/token?SECRET=***'],
    [`/cgi-bin/token?Access_Token=${S}`, '/cgi-bin/token?Access_Token=***'],
    [`/cgi-bin/token?secret[]=${S}`, '/cgi-bin/token?secret[]=***'],
    [`/cgi-bin/token?secret+=${S}`, '/cgi-bin/token?secret+=***'],
    [`/cgi-bin/token?a=1;secret=${S}`, '/cgi-bin/token?a=1;secret=***'],
    [`/cgi-bin/token?secret=${S};more`, '/cgi-bin/token?secret=***'],
    [`/cgi-bin/token?%zz=1&secret=${S}`, '/cgi-bin/token?%zz=1&secret=***'],
    [`/cgi-bin/token?secre%74%zz=${S}`, `/cgi-bin/token?secre%74%zz=${S}`], // not a name anyone reads as secret
    [`/v1/x?stale_token=${S}`, '/v1/x?stale_token=***'],
    [`secret=${S}&appid=wx1`, 'secret=***&appid=wx1'],
    [
      `Error: GET /cgi-bin/token?appid=wx1&%73ecret=${S} failed`,
      'Error: GET /cgi-bin/token?appid=wx1&%73ecret=*** failed',
    ],
  ])('%s', (input, redacted) => {
    expect(redactUrl(input)).toBe(redacted);
  });

  it('hides the secret part of anything shaped like a client key, wherever it stands', () => {
    const key = `wxk_0123456789abcdef_${'A1b2_C3d-'.repeat(4)}xyzAB12`;
    expect(redactUrl(`/cgi-bin/${key}/x?note=${key}`)).toBe(
      '/cgi-bin/wxk_0123456789abcdef_***/x?note=wxk_0123456789abcdef_***',
    );
    expect(redactUrl('/cgi-bin/user/info?openid=o1&lang=zh_CN')).toBe(
      '/cgi-bin/user/info?openid=o1&lang=zh_CN',
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
