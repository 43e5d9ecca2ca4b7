/**
 * The Lua scripts of RedisStore. Each runs atomically on the server, so a check and the write
 * that depends on it can never interleave with another client's.
 */

/** KEYS[1] credential hash; ARGV: expectedVersion, value, expiresAt, fetchedAt, channel, key. */
export const CAS_CREDENTIAL = `
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then return false end
local version = current + 1
redis.call('HSET', KEYS[1], 'value', ARGV[2], 'expiresAt', ARGV[3], 'fetchedAt', ARGV[4], 'version', version)
redis.call('PUBLISH', ARGV[5], ARGV[6])
return version
`;

/** KEYS[1] credential hash; ARGV: channel, key. */
export const DELETE_CREDENTIAL = `
if redis.call('DEL', KEYS[1]) == 1 then
  redis.call('PUBLISH', ARGV[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS[1] lease; ARGV: owner, ttlMs. Takes a free lease, or renews the owner's own. */
export const ACQUIRE_LEASE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS[1] lease; ARGV: owner. Compare-and-delete: only the holder releases. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** KEYS[1] counter; ARGV: by, ttlMs. */
export const INCREMENT_COUNTER = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return total
`;
