-- qdel: DeleteQueue, one batch at a time.  Deletes the tasks found in the
-- queue's lists and sets, whatever their state, and once none is left
-- every key of the queue and its name in P:queues.
--
-- KEYS[1] P:{q}:pending  KEYS[2] P:{q}:active  KEYS[3] P:{q}:lease
-- KEYS[4] P:{q}:scheduled  KEYS[5] P:{q}:retry  KEYS[6] P:{q}:dead
-- KEYS[7] P:{q}:done  KEYS[8] P:{q}:conf  KEYS[9] P:{q}:stats
-- KEYS[10] P:{q}:minute  KEYS[11] P:queues
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] queue  ARGV[3] limit (IDs
-- per call)
--
-- Named tasks leave their tombstones (see tomb.lua), which outlive the
-- queue.  An active task's worker finds its lease gone, as with remove.
-- Returns {deleted, remaining}: task hashes deleted, and IDs still in the
-- lists and sets; the caller calls again until remaining is 0.
--#include tomb.lua

local limit = tonumber(ARGV[3])
local seen, deleted = 0, 0

local function delete(id)
	local key = ARGV[1] .. id
	seen = seen + 1
	bury(key, tomb_key(ARGV[1], id))
	deleted = deleted + redis.call('DEL', key)
end

for _, l in ipairs({KEYS[1], KEYS[2]}) do
	if seen < limit then
		local ids = redis.call('LRANGE', l, 0, limit - seen - 1)
		redis.call('LTRIM', l, #ids, -1)
		for _, id in ipairs(ids) do
			redis.call('ZREM', KEYS[3], id)
			delete(id)
		end
	end
end
for i = 3, 7 do
	if seen < limit then
		for _, id in ipairs(redis.call('ZRANGE', KEYS[i], 0,
		    limit - seen - 1)) do
			redis.call('ZREM', KEYS[i], id)
			delete(id)
		end
	end
end
local remaining = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2])
for i = 3, 7 do
	remaining = remaining + redis.call('ZCARD', KEYS[i])
end
if remaining == 0 then
	redis.call('DEL', unpack(KEYS, 1, 10))
	redis.call('SREM', KEYS[11], ARGV[2])
end
return {deleted, remaining}
