-- ack: the dispatch answered 2xx; active -> done.  Only the worker whose
-- lease is current may do this: a late ack after the lease was taken
-- away changes nothing.
--
-- KEYS[1] P:{q}:active  KEYS[2] P:{q}:lease  KEYS[3] P:{q}:done
-- KEYS[4] P:{q}:t:ID
-- ARGV[1] id  ARGV[2] token  ARGV[3] now (wall ms)  ARGV[4] HTTP status
-- ARGV[5] duration (ms)
--
-- Returns 1 when recorded, 0 when the lease was not ours.
if ARGV[2] == '' or redis.call('HGET', KEYS[4], 'token') ~= ARGV[2] then
	return 0
end
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[4], 'state', 'done', 'token', '',
    'last_status', ARGV[4], 'last_error', '', 'last_dur', ARGV[5],
    'finished', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1
