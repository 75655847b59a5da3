-- trim: forget finished tasks after their retention.
--
-- KEYS[1] P:{q}:done  KEYS[2] P:{q}:dead
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] done_before (wall ms)
-- ARGV[3] dead_before (wall ms)  ARGV[4] limit (per set)
--
-- Removes tasks finished before the given times, at most limit from each
-- set; a hash whose task left that state meanwhile (a dead task retried
-- by hand) is kept.  Returns the number of IDs removed.
local n = 0
local sets = {{KEYS[1], ARGV[2], 'done'}, {KEYS[2], ARGV[3], 'dead'}}
for _, s in ipairs(sets) do
	local ids = redis.call('ZRANGEBYSCORE', s[1], '-inf', '(' .. s[2],
	    'LIMIT', 0, tonumber(ARGV[4]))
	for _, id in ipairs(ids) do
		local key = ARGV[1] .. id
		if redis.call('HGET', key, 'state') == s[3] then
			redis.call('DEL', key)
		end
		redis.call('ZREM', s[1], id)
		n = n + 1
	end
end
return n
