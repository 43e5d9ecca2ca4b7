import { describe, expect, it } from 'vitest';
import { jsapiSignature } from '../../src/wechat/jssdk-signature.js';

// The vectors published in WeChat's JS-SDK documentation (shared/wechat-api.md §7).
const ticket = 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg';

describe('jsapiSignature', () => {
  it('matches the documented vector with a query string', () => {
    const sig = jsapiSignature({
      jsapi_ticket: ticket,
      noncestr: 'Wm3WZYTPz0wzccnW',
      timestamp: 1414587457,
      url: 'http://mp.weixin.qq.com?params=value',
    });
    expect(sig).toBe('0f9de62fce790f9a083d5c99e95740ceb90c27ed');
  });

  it('matches the documented vector without a query string', () => {
    const sig = jsapiSignature({
      jsapi_ticket: ticket,
      noncestr: 'Wm3WZYTPz0wzccnW',
      timestamp: '1414587457',
      url: 'http://mp.weixin.qq.com',
    });
    expect(sig).toBe('f4d90daf4b3bca3078ab155816175ba34c443a7b');
  });

  it('drops the fragment of the url', () => {
    const base = { jsapi_ticket: ticket, noncestr: 'Wm3WZYTPz0wzccnW', timestamp: 1414587457 };
    expect(jsapiSignature({ ...base, url: 'http://mp.weixin.qq.com?params=value#/page' })).toBe(
      '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
    );
  });
});
