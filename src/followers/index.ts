export {
  FollowerSync,
  type FollowerSyncOptions,
  type FollowerSyncStatus,
  type SyncOutcome,
  type SyncTrigger,
  USER_GET_DAILY_LIMIT,
} from './follower-sync.js';
export { followerSyncRoutes } from './follower-sync-routes.js';
export { followerChange, LiveFollowers, type LiveOutcome } from './live-followers.js';
export { type SyncFollowersOptions, type SyncFollowersResult, syncFollowers } from './sync-followers.js';
