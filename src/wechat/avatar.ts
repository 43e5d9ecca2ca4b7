/** The square sizes WeChat serves for a headimgurl; 0 means 640×640. */
export const AVATAR_SIZES = [0, 46, 64, 96, 132] as const;
export type AvatarSize = (typeof AVATAR_SIZES)[number];

/**
 * Rewrites a WeChat `headimgurl` to another size: its last path segment is the size.
 * An empty url (user without avatar) stays empty.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function avatarUrl(url: string, size: AvatarSize): string {
  if (!(AVATAR_SIZES as readonly number[]).includes(size)) {
    throw new RangeError(`size must be one of ${AVATAR_SIZES.join(', ')}; got ${String(size)}`);
  }
  if (!url) return '';
  return url.replace(/\/(0|46|64|96|132)(?=([?#].*)?$)/, `/${size}`);
}
