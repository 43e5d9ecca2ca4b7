export {
  DEFAULT_EXPIRE_SECONDS,
  FOLLOW_ID_PATTERN,
  FOLLOW_LOGIN_PREFIX,
  FollowLogin,
  type FollowLoginOptions,
  type FollowLoginStart,
  type FollowLoginStartOptions,
  type FollowResult,
  type FollowStatus,
  type FollowView,
  type QrCodeCaller,
  SCENE_PREFIX,
} from './follow-login.js';
export { FOLLOW_COOKIE, type FollowRoutesOptions, followLoginRoutes } from './follow-routes.js';
