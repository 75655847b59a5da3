-- retry: the dispatch failed; active -> retry at next_at, or -> dead when
-- next_at is 0 (out of retries).  Checks the lease like ack.
--
-- KEYS[1] P:{q}:active  KEYS[2] P:{q}:lease  KEYS[3] P:{q}:retry
-- KEYS[4] P:{q}:dead  KEYS[5] P:{q}:t:ID
-- ARGV[1] id  ARGV[2] token  ARGV[3] now (wall ms)  ARGV[4] next_at
-- ARGV[5] HTTP status (0 none)  ARGV[6] error  ARGV[7] duration (ms)
-- ARGV[8] wake channel
--
-- Returns 1 when recorded, 0 when the lease was not ours.
if ARGV[2] == '' or redis.call('HGET', KEYS[5], 'token') ~= ARGV[2] then
	return 0
end
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[5], 'token', '', 'last_status', ARGV[5],
    'last_error', ARGV[6], 'last_dur', ARGV[7])
if tonumber(ARGV[4]) > 0 then
	redis.call('HSET', KEYS[5], 'state', 'retry')
	redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
	redis.call('PUBLISH', ARGV[8], ARGV[4])
else
	redis.call('HSET', KEYS[5], 'state', 'dead', 'finished', ARGV[3])
	redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
end
return 1
