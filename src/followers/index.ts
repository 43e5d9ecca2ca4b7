export { decodeCursor, encodeCursor } from './follower-cursor.js';
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
export { peopleRoutes } from './people-routes.js';
export { type Person, PersonLookup, type PersonLookupOptions, personOf } from './person-lookup.js';
export { type SyncFollowersOptions, type SyncFollowersResult, syncFollowers } from './sync-followers.js';
