-- claim: the fast path.  Move one ID pending -> active and lease it in
-- the same step, so that no task claimed this way is ever in active
-- without a lease.
--
-- KEYS[1] P:{q}:pending  KEYS[2] P:{q}:active  KEYS[3] P:{q}:lease
-- KEYS[4] P:{q}:conf
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] lease_until (wall ms)
-- ARGV[3] token
--
-- Returns nil when the queue is empty, status PAUSED when the queue is
-- paused (nothing moves), else the task hash as a flat [field, value, ...]
-- array with "id" first.
if ARGV[3] == '' then
	return redis.error_reply('ERR claim without a token')
end
if redis.call('HGET', KEYS[4], 'paused') == '1' then
	return redis.status_reply('PAUSED')
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
		redis.call('HINCRBY', key, 'attempts', 1)
		redis.call('HSET', key, 'state', 'active', 'token', ARGV[3])
		local h = redis.call('HGETALL', key)
		local out = {'id', id}
		for i = 1, #h, 2 do
			if h[i] ~= 'id' then
				out[#out + 1] = h[i]
				out[#out + 1] = h[i + 1]
			end
		end
		return out
	end
	redis.call('LREM', KEYS[2], 1, id)
end
return false
