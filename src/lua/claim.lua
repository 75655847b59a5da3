-- claim: the fast path.  Move up to n IDs pending -> active and lease
-- them in the same step, so that no task claimed this way is ever in
-- active without a lease.  One call takes what the worker has room for,
-- as far as the queue's limits allow.
--
-- KEYS[1] P:{q}:pending  KEYS[2] P:{q}:active  KEYS[3] P:{q}:lease
-- KEYS[4] P:{q}:conf
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] lease_until (wall ms)
-- ARGV[3] token (one for the batch)  ARGV[4] now (wall ms)  ARGV[5] n
--
-- Returns nil when the queue is empty (paused or not), status PAUSED when
-- it is paused, status "THROTTLED <ms>" when its rate or concurrency limit
-- holds it back for about ms (nothing moves either way), else an array:
-- first the queue's retry settings as flat "q:<field>" pairs (see
-- gate.lua), then one flat [field, value, ...] array per task taken,
-- "id" first (none, when only IDs of deleted tasks were found).  A task
-- run by hand (run = "1") next in line passes the pause and the limits,
-- alone, and spends no token.
--#include gate.lua

if ARGV[3] == '' then
	return redis.error_reply('ERR claim without a token')
end
local head = redis.call('LINDEX', KEYS[1], -1)
-- Nothing waiting: the commonest answer (a worker asks its queues in
-- turn), so it costs one command.
if not head then
	return false
end
local want = math.max(1, tonumber(ARGV[5]) or 1)
local c = conf_read(KEYS[4])
local bucket = nil
if redis.call('HGET', ARGV[1] .. head, 'run') == '1' then
	want = 1
else
	local stop
	stop, want, bucket = gate(c, KEYS[2], 0, want)
	if stop then
		return stop
	end
end
local out = {conf_pairs(c)}
local n = take(KEYS[1], KEYS[2], KEYS[3], ARGV[1], want, ARGV[2], ARGV[3],
    ARGV[4], out, 100)
if n == 0 and redis.call('LLEN', KEYS[1]) == 0 then
	return false
end
spend(KEYS[4], bucket, n)
return out
