/**
 * An error answered by WeChat itself: HTTP 200 with `{"errcode":N,"errmsg":"..."}`.
 * Carries WeChat's own fields so callers branch on `errcode`, never on message text.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
 */
export class WeChatError extends Error {
  override readonly name = 'WeChatError';
  readonly errcode: number;
  readonly errmsg: string;
  /** The request id WeChat appends to errmsg (`rid: xxxxxxxx-xxxxxxxx-xxxxxxxx`), when present. */
  readonly rid: string | undefined;
  /** The API path that answered, without query string (no token ever leaks through it). */
  readonly path: string;

  constructor(errcode: number, errmsg: string, path: string) {
    super(`WeChat ${path} errcode ${errcode}: ${errmsg}`);
    this.errcode = errcode;
    this.errmsg = errmsg;
    this.rid = parseRid(errmsg);
    this.path = path;
  }
}

const RID = /rid:\s*([0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8})/i;

/** Extracts WeChat's request id from an errmsg. */
export function parseRid(errmsg: string): string | undefined {
  return RID.exec(errmsg)?.[1];
}

/** True for a WeChatError, also across realms and duplicated package copies. */
export function isWeChatError(value: unknown): value is WeChatError {
  return (
    value instanceof WeChatError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'WeChatError' &&
      typeof (value as { errcode?: unknown }).errcode === 'number')
  );
}
