export { HubTokenProvider, type HubTokenProviderOptions } from './hub-token-provider.js';
export { type JsapiConfig, JssdkApi } from './jssdk-api.js';
export { LocalTokenProvider } from './local-token-provider.js';
export { type AuthorizeUrlOptions, OAuthApi, type OAuthScope } from './oauth-api.js';
export * from './schemas.js';
export type { TokenProvider } from './token-provider.js';
export { type Lang, UsersApi } from './users-api.js';
export {
  type ApiCall,
  type CallOptions,
  resolveEndpoints,
  WeChatClient,
  type WeChatClientOptions,
} from './wechat-client.js';
