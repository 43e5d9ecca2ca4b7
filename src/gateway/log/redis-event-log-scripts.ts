/**
 * The Lua scripts of RedisEventLog. Each runs atomically on the server, and its writes reach the
 * AOF and replicas as one transaction, so no crash (of a hub or of Redis) leaves half of one.
 */

/**
 * KEYS: dedup key, partition stream, appid stream, set of stream keys; ARGV: event JSON,
 * partition, dedup TTL ms, channel. Returns `{0, partition stream id}` for a new event, or
 * `{1, dedup value}` for a duplicate. The dedup key is written last: a script stopped halfway
 * (it cannot be, short of a bug) would leave an event logged twice on a retry, never lost.
 * Dedup values: `-` no answer yet, `=ANSWER` once the first try was answered.
 */
export const APPEND_EVENT = `
local prior = redis.call('GET', KEYS[1])
if prior then return {1, prior} end
local id = redis.call('XADD', KEYS[2], '*', 'e', ARGV[1])
redis.call('XADD', KEYS[3], '*', 'p', ARGV[2], 'r', id)
redis.call('SADD', KEYS[4], KEYS[2], KEYS[3])
redis.call('SET', KEYS[1], '-', 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return {0, id}
`;

/**
 * KEYS: position hash; ARGV: expected version, then field/value pairs of the new position (a
 * null field is left out). Replaces the hash only if its version is the expected one.
 */
export const SET_POSITION = `
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', current + 1, unpack(ARGV, 2))
return 1
`;

/** KEYS: letters hash, order zset; ARGV: event id, letter JSON, at. The first letter of an event stays. */
export const ADD_DEAD_LETTER = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
return 1
`;

/** KEYS: letters hash, order zset; ARGV: limit. The oldest letters' JSON, oldest first. */
export const DEAD_LETTERS = `
local ids = redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1)
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[1], unpack(ids))
`;

/** KEYS: letters hash, order zset; ARGV: event id. */
export const REMOVE_DEAD_LETTER = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;
