import { describe, expect, it } from 'vitest';
import { isWeChatError, isWxhubError, parseRid, WeChatError, WxhubError } from '../../src/errors/index.js';

describe('WeChatError', () => {
  it('carries errcode, errmsg, rid and path', () => {
    const err = new WeChatError(
      40001,
      'invalid credential rid: 6543a1b2-0c1d2e3f-4a5b6c7d',
      '/cgi-bin/user/info',
    );
    expect(err).toMatchObject({
      errcode: 40001,
      rid: '6543a1b2-0c1d2e3f-4a5b6c7d',
      path: '/cgi-bin/user/info',
    });
    expect(err.message).toContain('40001');
    expect(isWeChatError(err)).toBe(true);
    expect(isWeChatError({ name: 'WeChatError', errcode: 1 })).toBe(true);
    expect(isWeChatError(new Error('x'))).toBe(false);
  });

  it('has no rid when WeChat sent none', () => {
    expect(parseRid('invalid appid')).toBeUndefined();
  });
});

describe('WxhubError registry', () => {
  it('gives each error its code, status and message', () => {
    const err = new WxhubError('WXHUB_ERR_UNKNOWN_ACCOUNT', 'wx123');
    expect(err).toMatchObject({ code: 'WXHUB_ERR_UNKNOWN_ACCOUNT', statusCode: 404 });
    expect(err.message).toBe('Unknown appid: wx123');
    expect(isWxhubError(err, 'WXHUB_ERR_UNKNOWN_ACCOUNT')).toBe(true);
    expect(isWxhubError(err, 'WXHUB_ERR_TIMEOUT')).toBe(false);
  });
});
