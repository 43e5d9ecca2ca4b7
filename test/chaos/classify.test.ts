import { describe, expect, it } from 'vitest';
import { classifyDropIn, classifySdkError } from '../../bench/chaos/classify.js';
import { WeChatError, WxhubError } from '../../src/errors/index.js';

const RID = 'rid: 0123abcd-4567ef01-89abcdef';

describe('classifySdkError: whose failure an SDK call was', () => {
  it("WeChat's own error on the business call is WeChat's", () => {
    const f = classifySdkError(new WeChatError(-1, `system error ${RID}`, '/cgi-bin/user/info'), false);
    expect(f).toMatchObject({ class: 'wechat', code: '-1', tokenInvalid: false });
    expect(
      classifySdkError(new WxhubError('WXHUB_ERR_TIMEOUT', 'user/info after 5000 ms'), false).class,
    ).toBe('wechat');
    expect(classifySdkError(new WxhubError('WXHUB_ERR_UPSTREAM_BODY', 'HTTP 502 <html>'), false).class).toBe(
      'wechat',
    );
  });

  it('a token WeChat refused reaching the caller is a wxhub failure, and marked', () => {
    for (const errcode of [40001, 40014, 42001]) {
      const f = classifySdkError(new WeChatError(errcode, 'invalid credential', '/cgi-bin/user/info'), false);
      expect(f).toMatchObject({ class: 'wxhub', tokenInvalid: true });
    }
  });

  it('the hub failing is wxhub, unless WeChat failed through the whole retry budget or its quota is spent', () => {
    expect(classifySdkError(new WxhubError('WXHUB_ERR_TIMEOUT', 'hub after 5000 ms'), true).class).toBe(
      'wxhub',
    );
    expect(classifySdkError(new WxhubError('WXHUB_ERR_STORE_UNAVAILABLE', 'redis'), true).class).toBe(
      'wxhub',
    );
    expect(
      classifySdkError(new WxhubError('WXHUB_ERR_REFRESH_FAILED', 'hub: wx1 after 4 attempts (-1)'), true)
        .class,
    ).toBe('wechat-token');
    expect(
      classifySdkError(new WxhubError('WXHUB_ERR_REFRESH_FAILED', 'WeChat errcode 40013'), true).class,
    ).toBe('wxhub');
    expect(classifySdkError(new WxhubError('WXHUB_ERR_QUOTA_EXHAUSTED', 'hub: 45009'), true).class).toBe(
      'wechat-token',
    );
  });
});

describe('classifyDropIn: whose failure a legacy HTTP call was', () => {
  const json = (status: number, body: unknown) => ({
    status,
    contentType: 'application/json; encoding=utf-8',
    text: JSON.stringify(body),
  });

  it("relays of WeChat's own answers are WeChat's", () => {
    expect(classifyDropIn('api', json(200, { errcode: -1, errmsg: `system error ${RID}` })).class).toBe(
      'wechat',
    );
    expect(
      classifyDropIn('api', {
        status: 502,
        contentType: 'text/html; charset=utf-8',
        text: '<html>502</html>',
      }).class,
    ).toBe('wechat');
    expect(
      classifyDropIn(
        'api',
        json(504, { errcode: -1, errmsg: 'system error: WeChat did not answer within 5000 ms (wxhub)' }),
      ).class,
    ).toBe('wechat');
  });

  it("the hub's own errors are wxhub's, 40001 above all", () => {
    const dead = classifyDropIn(
      'api',
      json(401, { errcode: 40001, errmsg: 'invalid credential: ... (wxhub)' }),
    );
    expect(dead).toMatchObject({ class: 'wxhub', tokenInvalid: true });
    expect(
      classifyDropIn('api', json(200, { errcode: 40001, errmsg: `invalid credential ${RID}` })).tokenInvalid,
    ).toBe(true);
    expect(
      classifyDropIn('api', json(502, { errcode: -1, errmsg: 'WeChat could not be reached (wxhub)' })).class,
    ).toBe('wxhub');
    expect(classifyDropIn('token', { transport: 'ECONNREFUSED' }).class).toBe('wxhub');
    expect(
      classifyDropIn('token', { status: 502, contentType: 'text/plain', text: 'no hub answered' }).class,
    ).toBe('wxhub');
  });

  it('a token the hub could not get because WeChat kept failing is the token endpoint’s', () => {
    const budget = json(503, {
      errcode: -1,
      errmsg: 'system error: WXHUB_ERR_REFRESH_FAILED: wx1 after 4 attempts (...) (wxhub)',
    });
    expect(classifyDropIn('token', budget).class).toBe('wechat-token');
    // As the hub answers today: HTTP 200, the reason in X-Wxhub-Error, on the token or the api step.
    const spent = {
      ...json(200, {
        errcode: -1,
        errmsg:
          'system error: Could not obtain a token from WeChat: wx1 after 4 attempts (WeChat /cgi-bin/token errcode -1: system error rid: 9f5df7bb-714a66e7-61fe3395); the next call tries again (wxhub)',
      }),
      wxhubError: 'WXHUB_ERR_REFRESH_FAILED',
    };
    expect(classifyDropIn('api', spent).class).toBe('wechat-token');
    expect(classifyDropIn('token', spent).class).toBe('wechat-token');
    expect(classifyDropIn('api', { ...spent, wxhubError: 'WXHUB_ERR_STORE_UNAVAILABLE' }).class).toBe(
      'wxhub',
    );
    expect(classifyDropIn('token', json(503, { errcode: 45009, errmsg: 'quota (wxhub)' })).class).toBe(
      'wechat-token',
    );
  });
});
