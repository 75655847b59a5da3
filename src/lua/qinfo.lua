-- qinfo: one queue at a glance, for the operator API and /metrics.  Costs
-- a fixed number of O(1) commands plus the two small counter hashes: never
-- O(tasks).
--
-- KEYS[1] P:{q}:pending  KEYS[2] P:{q}:active  KEYS[3] P:{q}:scheduled
-- KEYS[4] P:{q}:retry  KEYS[5] P:{q}:dead  KEYS[6] P:{q}:done
-- KEYS[7] P:{q}:conf  KEYS[8] P:{q}:stats  KEYS[9] P:{q}:minute
-- ARGV[1] task key base "P:{q}:t:"
--
-- Returns {pending, active, scheduled, retry, dead, done, paused (0/1),
-- created of the oldest pending task (-1 when none), stats as a flat
-- [field, value, ...] array, minute counters likewise}.
local oldest = -1
local id = redis.call('LINDEX', KEYS[1], -1)
if id then
	oldest = tonumber(redis.call('HGET', ARGV[1] .. id, 'created')) or -1
end
local paused = 0
if redis.call('HGET', KEYS[7], 'paused') == '1' then
	paused = 1
end
return {redis.call('LLEN', KEYS[1]), redis.call('LLEN', KEYS[2]),
    redis.call('ZCARD', KEYS[3]), redis.call('ZCARD', KEYS[4]),
    redis.call('ZCARD', KEYS[5]), redis.call('ZCARD', KEYS[6]), paused,
    oldest, redis.call('HGETALL', KEYS[8]), redis.call('HGETALL', KEYS[9])}
