import { createHash } from 'node:crypto';

/** The four fields of a JS-SDK config signature. */
export interface JsapiSignatureInput {
  readonly jsapi_ticket: string;
  readonly noncestr: string;
  readonly timestamp: number | string;
  readonly url: string;
}

/**
 * JS-SDK signature: the fields sorted by name, joined as raw `k=v` with `&`, SHA-1 hex.
 * The url is taken up to (not including) `#`.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html (附录1)
 */
export function jsapiSignature(input: JsapiSignatureInput): string {
  const url = input.url.split('#', 1)[0] ?? '';
  const plain = `jsapi_ticket=${input.jsapi_ticket}&noncestr=${input.noncestr}&timestamp=${input.timestamp}&url=${url}`;
  return createHash('sha1').update(plain).digest('hex');
}
