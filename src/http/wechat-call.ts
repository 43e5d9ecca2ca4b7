import { WeChatError } from '../errors/index.js';
import type { HttpClient, JsonRequest } from './http-client.js';

/**
 * Calls a WeChat API and resolves its JSON body, or rejects with WeChatError when the body
 * carries a non-zero errcode (WeChat answers errors with HTTP 200).
 */
export async function callWeChat(
  http: HttpClient,
  method: 'GET' | 'POST',
  base: string,
  path: string,
  req: JsonRequest = {},
): Promise<Record<string, unknown>> {
  const { body } = await http.json(method, base + path, req);
  throwIfWeChatError(path, body);
  return body;
}

/** Rejects a WeChat body whose errcode is present and non-zero. */
export function throwIfWeChatError(path: string, body: Record<string, unknown>): void {
  const errcode = body.errcode;
  if (typeof errcode === 'number' && errcode !== 0) {
    throw new WeChatError(errcode, typeof body.errmsg === 'string' ? body.errmsg : '', path);
  }
}
