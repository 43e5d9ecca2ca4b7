export {
  DEFAULT_CONNECTIONS,
  HttpClient,
  type HttpClientOptions,
  type JsonRequest,
  type JsonResponse,
  parseRetryAfter,
  type Query,
  splitUrl,
  withQuery,
} from './http-client.js';
export { encodeQueryPart, queryParam, withParam } from './query-string.js';
export { pathOf, redactUrl } from './redact.js';
export { observeUpstream, type UpstreamEvent, type UpstreamObserver } from './upstream-event.js';
export { callWeChat, throwIfWeChatError } from './wechat-call.js';
