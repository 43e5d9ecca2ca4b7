export { type SyncFollowersOptions, type SyncFollowersResult, syncFollowers } from './sync-followers.js';
