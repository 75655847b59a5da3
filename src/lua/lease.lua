-- lease: the idle path's second half.  A worker's BLMOVE moved ID
-- pending -> active; lease it now, as claim does.
--
-- KEYS[1] P:{q}:active  KEYS[2] P:{q}:lease  KEYS[3] P:{q}:t:ID
-- KEYS[4] P:{q}:pending  KEYS[5] P:{q}:conf
-- ARGV[1] id  ARGV[2] lease_until (wall ms)  ARGV[3] token
-- ARGV[4] now (wall ms)
--
-- Returns the task hash as a flat array with "id" first (and the "q:"
-- pairs, as claim), or nil when the ID is no longer ours: gone from
-- active (the sweep recovered it meanwhile), leased under another
-- worker's token, or deleted (then it is dropped from active too).
-- Status PAUSED when the queue was paused meanwhile, "THROTTLED <ms>"
-- when its rate or concurrency limit holds it back: the ID goes back to
-- the right end of pending, next in line as it was, with no attempt
-- counted.  A task run by hand (run = "1") passes, as in claim.
--#include gate.lua

if ARGV[3] == '' then
	return redis.error_reply('ERR lease without a token')
end
if not redis.call('LPOS', KEYS[1], ARGV[1]) then
	return false
end
local tok = redis.call('HGET', KEYS[3], 'token')
if not tok then
	redis.call('LREM', KEYS[1], 0, ARGV[1])
	redis.call('ZREM', KEYS[2], ARGV[1])
	return false
end
-- An empty token with a lease is the sweep's stand-in lease for an ID
-- nobody leased; the worker that moved it takes over.
if tok ~= '' then
	return false
end
local bucket = nil
if redis.call('HGET', KEYS[3], 'run') ~= '1' then
	-- Busy: the active IDs other than this one.
	local stop
	stop, bucket = gate(KEYS[5], redis.call('LLEN', KEYS[1]) - 1, true)
	if stop then
		redis.call('LREM', KEYS[1], 0, ARGV[1])
		redis.call('ZREM', KEYS[2], ARGV[1])
		redis.call('RPUSH', KEYS[4], ARGV[1])
		return stop
	end
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
spend(KEYS[5], bucket)
return dispatch(KEYS[3], ARGV[1], ARGV[3], ARGV[4], KEYS[5])
