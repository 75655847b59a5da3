-- claim: the fast path.  Move one ID pending -> active and lease it in
-- the same step, so that no task claimed this way is ever in active
-- without a lease.
--
-- KEYS[1] P:{q}:pending  KEYS[2] P:{q}:active  KEYS[3] P:{q}:lease
-- KEYS[4] P:{q}:conf
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] lease_until (wall ms)
-- ARGV[3] token  ARGV[4] now (wall ms)
--
-- Returns nil when the queue is empty (paused or not), status PAUSED when
-- it is paused, status "THROTTLED <ms>" when its rate or concurrency limit
-- holds it back for about ms (nothing moves either way), else the task
-- hash as a flat [field, value, ...] array with "id" first and the
-- queue's retry settings appended as "q:<field>" pairs (see gate.lua).
-- A task run by hand (run = "1") next in line passes the pause and the
-- limits, and spends no token.
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
local bucket = nil
if redis.call('HGET', ARGV[1] .. head, 'run') ~= '1' then
	local stop
	stop, bucket = gate(KEYS[4], redis.call('LLEN', KEYS[2]), true)
	if stop then
		return stop
	end
end
-- IDs of deleted tasks are skipped; the bound keeps one call short even
-- if many of them pile up at the head of the list.
for _ = 1, 100 do
	local id = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
	if not id then
		return false
	end
	local key = ARGV[1] .. id
	if redis.call('EXISTS', key) == 1 then
		redis.call('ZADD', KEYS[3], ARGV[2], id)
		spend(KEYS[4], bucket)
		return dispatch(key, id, ARGV[3], ARGV[4], KEYS[4])
	end
	redis.call('LREM', KEYS[2], 1, id)
end
return false
