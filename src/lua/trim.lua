-- trim: forget finished tasks after their retention.
--
-- KEYS[1] P:{q}:done  KEYS[2] P:{q}:dead  KEYS[3] P:{q}:minute
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] done_before (wall ms)
-- ARGV[3] dead_before (wall ms)  ARGV[4] limit (per set)  ARGV[5] now (wall ms)
--
-- Removes tasks finished before the given times, at most limit from each
-- set; a hash whose task left that state meanwhile (a dead task retried
-- by hand) is kept.  The per-minute counters keep the last hour (and the
-- minute under way).  Returns the number of IDs removed.
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
local oldest = math.floor(tonumber(ARGV[5]) / 60000) - 61
for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
	local m = tonumber(string.match(f, '^(%d+):'))
	if not m or m < oldest then
		redis.call('HDEL', KEYS[3], f)
	end
end
return n
