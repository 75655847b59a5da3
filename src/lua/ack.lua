-- ack: the dispatch answered 2xx; active -> done.  Only the worker whose
-- lease is current may do this: a late ack after the lease was taken
-- away changes nothing.
--
-- KEYS[1] P:{q}:active  KEYS[2] P:{q}:lease  KEYS[3] P:{q}:done
-- KEYS[4] P:{q}:t:ID  KEYS[5] P:{q}:stats  KEYS[6] P:{q}:minute
-- KEYS[7] P:{q}:tomb:ID
-- ARGV[1] id  ARGV[2] token  ARGV[3] now (wall ms)  ARGV[4] HTTP status
-- ARGV[5] duration (ms)
--
-- Counts the dispatch in stats (and per minute) and records the attempt
-- in the task's history, and the response (see respond in attempt.lua).
-- A named task leaves its tombstone.  Returns 1 when recorded, 0 when the
-- lease was not ours.
--#include attempt.lua
--#include tomb.lua

if ARGV[2] == '' or redis.call('HGET', KEYS[4], 'token') ~= ARGV[2] then
	return 0
end
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[4], 'state', 'done', 'token', '',
    'last_status', ARGV[4], 'last_error', '', 'last_dur', ARGV[5],
    'finished', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
local now, dur = tonumber(ARGV[3]), tonumber(ARGV[5])
record(KEYS[4], now, tonumber(ARGV[4]), '', dur)
respond(KEYS[4], ARGV[3], tonumber(ARGV[4]))
bury(KEYS[4], KEYS[7])
redis.call('HINCRBY', KEYS[5], 'dispatched', 1)
redis.call('HINCRBY', KEYS[5], 'succeeded', 1)
observe(KEYS[5], dur)
redis.call('HINCRBY', KEYS[6], math.floor(now / 60000) .. ':ok', 1)
return 1
