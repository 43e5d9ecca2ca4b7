import { describe, expect, it } from 'vitest';
import { type AvatarSize, avatarUrl } from '../../src/wechat/avatar.js';

const url = 'https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/132';

describe('avatarUrl', () => {
  it.each([0, 46, 64, 96, 132] as const)('rewrites the last segment to %i', (size) => {
    expect(avatarUrl(url, size)).toBe(`https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/${size}`);
  });

  it('keeps an empty url empty (user without avatar)', () => {
    expect(avatarUrl('', 64)).toBe('');
  });

  it('keeps a query string after the size', () => {
    expect(avatarUrl('http://127.0.0.1:9100/mmopen/abc/0?v=2', 46)).toBe(
      'http://127.0.0.1:9100/mmopen/abc/46?v=2',
    );
  });

  it('rejects a size WeChat does not serve', () => {
    expect(() => avatarUrl(url, 100 as AvatarSize)).toThrow(/size must be one of 0, 46, 64, 96, 132/);
  });
});
