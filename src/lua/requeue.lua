-- requeue: run tasks now, by hand.  A scheduled, retry or dead task goes
-- to pending; a dead one gets a fresh set of retries (its attempts start
-- over; its history stays).
--
-- KEYS[1] P:{q}:pending  KEYS[2] P:{q}:scheduled  KEYS[3] P:{q}:retry
-- KEYS[4] P:{q}:dead
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] mode: "one", "ids" or
-- "state"  ARGV[3] the ID, IDs separated by ",", or the state
-- ARGV[4] limit (mode "state": IDs per call)
--
-- "one" returns "ok", or what stopped it: "missing", "pending", "active"
-- or "done".  "ids" and "state" return {requeued, left}: left is what is
-- still in that state's set ("state"), 0 for "ids".
local sets = {scheduled = KEYS[2], retry = KEYS[3], dead = KEYS[4]}

local function requeue(id)
	local key = ARGV[1] .. id
	local state = redis.call('HGET', key, 'state')
	if not state then
		return 'missing'
	end
	local set = sets[state]
	if not set then
		return state
	end
	redis.call('ZREM', set, id)
	if state == 'dead' then
		redis.call('HSET', key, 'attempts', '0', 'finished', '0')
	end
	redis.call('HSET', key, 'state', 'pending')
	redis.call('LPUSH', KEYS[1], id)
	return 'ok'
end

if ARGV[2] == 'one' then
	return requeue(ARGV[3])
end
local n = 0
if ARGV[2] == 'ids' then
	for id in string.gmatch(ARGV[3], '[^,]+') do
		if requeue(id) == 'ok' then
			n = n + 1
		end
	end
	return {n, 0}
end
local set = sets[ARGV[3]]
if not set then
	return redis.error_reply('ERR requeue: bad state')
end
for _, id in ipairs(redis.call('ZRANGE', set, 0, tonumber(ARGV[4]) - 1)) do
	local r = requeue(id)
	if r == 'ok' then
		n = n + 1
	else
		-- Its task is gone or moved on: only the set entry is left.
		redis.call('ZREM', set, id)
	end
end
return {n, redis.call('ZCARD', set)}
