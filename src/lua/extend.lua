-- extend: push the leases of a worker's running tasks of one queue out,
-- each only if its lease is still ours.  One call takes every task of
-- the queue that is due, so a worker with many in flight pays one
-- round trip per queue and lease period, not one per task.
--
-- KEYS[1] P:{q}:lease
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] lease_until (wall ms)
-- then per task, from ARGV[3]: id, token
--
-- Returns an array with, per task, 1 when extended, 0 when the lease is
-- no longer ours (another token, the task deleted, or swept: no lease).
local res, zadd = {}, {}
for i = 3, #ARGV - 1, 2 do
	local id, token = ARGV[i], ARGV[i + 1]
	if token ~= '' and
	    redis.call('HGET', ARGV[1] .. id, 'token') == token and
	    redis.call('ZSCORE', KEYS[1], id) then
		zadd[#zadd + 1] = ARGV[2]
		zadd[#zadd + 1] = id
		res[#res + 1] = 1
	else
		res[#res + 1] = 0
	end
end
-- XX: this only ever moves a lease, never makes one.
if #zadd > 0 then
	redis.call('ZADD', KEYS[1], 'XX', unpack(zadd))
end
return res
