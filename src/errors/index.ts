export { ERRORS, type ErrorCode } from './registry.js';
export { isWeChatError, parseRid, WeChatError } from './wechat-error.js';
export { isWxhubError, WxhubError } from './wxhub-error.js';
