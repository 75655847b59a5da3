-- promote: due delayed and retry tasks -> pending.
--
-- KEYS[1] P:{q}:scheduled  KEYS[2] P:{q}:retry  KEYS[3] P:{q}:pending
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] now (wall ms)  ARGV[3] limit
--
-- Looks at most limit due IDs; those whose task was deleted are dropped.
-- A task moved gets eta = its due time, so that eta is always the time
-- its next attempt was scheduled for.
-- Returns {moved, next_due}: next_due is the earliest time still waiting
-- in scheduled or retry, -1 when nothing is.
local limit = tonumber(ARGV[3])
local seen, moved = 0, 0
for _, z in ipairs({KEYS[1], KEYS[2]}) do
	if seen >= limit then
		break
	end
	local due = redis.call('ZRANGEBYSCORE', z, '-inf', ARGV[2],
	    'WITHSCORES', 'LIMIT', 0, limit - seen)
	for i = 1, #due, 2 do
		local id = due[i]
		seen = seen + 1
		redis.call('ZREM', z, id)
		local key = ARGV[1] .. id
		if redis.call('EXISTS', key) == 1 then
			redis.call('HSET', key, 'state', 'pending', 'eta',
			    string.format('%.0f', tonumber(due[i + 1])))
			redis.call('LPUSH', KEYS[3], id)
			moved = moved + 1
		end
	end
end
local next_due = -1
for _, z in ipairs({KEYS[1], KEYS[2]}) do
	local first = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
	if first[2] then
		local s = tonumber(first[2])
		if next_due < 0 or s < next_due then
			next_due = s
		end
	end
end
return {moved, next_due}
