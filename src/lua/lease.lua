-- lease: the idle path's second half.  A worker's BLMOVE moved ID
-- pending -> active; lease it now, as claim does, and take up to n - 1
-- more from pending in the same step, as far as the queue's limits allow.
--
-- KEYS[1] P:{q}:active  KEYS[2] P:{q}:lease  KEYS[3] P:{q}:t:ID
-- KEYS[4] P:{q}:pending  KEYS[5] P:{q}:conf
-- ARGV[1] id  ARGV[2] lease_until (wall ms)  ARGV[3] token
-- ARGV[4] now (wall ms)  ARGV[5] n  ARGV[6] task key base "P:{q}:t:"
--
-- Returns what claim returns (the retry settings, then the tasks, ID
-- first), or nil when the ID is no longer ours: gone from active (the
-- sweep recovered it meanwhile), leased under another worker's token, or
-- deleted (then it is dropped from active too).  Status PAUSED when the
-- queue was paused meanwhile, "THROTTLED <ms>" when its rate or
-- concurrency limit holds it back: the ID goes back to the right end of
-- pending, next in line as it was, with no attempt counted.  A task run
-- by hand (run = "1") passes, as in claim, alone.
--#include gate.lua

if ARGV[3] == '' then
	return redis.error_reply('ERR lease without a token')
end
if not redis.call('LPOS', KEYS[1], ARGV[1]) then
	return false
end
local h = redis.call('HMGET', KEYS[3], unpack(TASK_FIELDS))
if not h[1] then
	redis.call('LREM', KEYS[1], 0, ARGV[1])
	redis.call('ZREM', KEYS[2], ARGV[1])
	return false
end
-- An empty (or no) token with a lease is the sweep's stand-in lease for
-- an ID nobody leased; the worker that moved it takes over.
local tok = redis.call('HGET', KEYS[3], 'token')
if tok and tok ~= '' then
	return false
end
local c = conf_read(KEYS[5])
local want = math.max(1, tonumber(ARGV[5]) or 1)
local bucket = nil
if h[14] == '1' then
	want = 1
else
	-- Busy: the active IDs other than this one.
	local stop
	stop, want, bucket = gate(c, KEYS[1], 1, want)
	if stop then
		redis.call('LREM', KEYS[1], 0, ARGV[1])
		redis.call('ZREM', KEYS[2], ARGV[1])
		redis.call('RPUSH', KEYS[4], ARGV[1])
		return stop
	end
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local out = {conf_pairs(c), dispatch(KEYS[3], ARGV[1], ARGV[3], ARGV[4], h)}
local n = 1
if want > 1 then
	n = n + take(KEYS[4], KEYS[1], KEYS[2], ARGV[6], want - 1, ARGV[2],
	    ARGV[3], ARGV[4], out, 100)
end
spend(KEYS[5], bucket, n)
return out
