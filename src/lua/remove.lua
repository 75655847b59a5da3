-- remove: delete tasks, by hand, in any state.  An active task's worker
-- finds its lease gone, so its late result changes nothing.
--
-- KEYS[1] P:{q}:pending  KEYS[2] P:{q}:active  KEYS[3] P:{q}:lease
-- KEYS[4] P:{q}:scheduled  KEYS[5] P:{q}:retry  KEYS[6] P:{q}:dead
-- KEYS[7] P:{q}:done
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] mode: "ids", "state" or
-- "all"  ARGV[3] IDs separated by ",", or the state  ARGV[4] limit (IDs
-- per call for "state" and "all")
--
-- Returns {deleted, left}: left is what is still in the state's list or
-- set ("state"), in all of them ("all"), 0 for "ids".  Every named task
-- deleted leaves its tombstone (see tomb.lua).
--#include tomb.lua

local zsets = {scheduled = KEYS[4], retry = KEYS[5], dead = KEYS[6],
    done = KEYS[7]}
local order = {'pending', 'active', 'scheduled', 'retry', 'dead', 'done'}

-- Delete a task's hash (its list or set entry is seen to by the caller):
-- 1 if it was there.
local function delete(id)
	local key = ARGV[1] .. id
	bury(key, tomb_key(ARGV[1], id))
	return redis.call('DEL', key)
end

local function remove(id)
	local key = ARGV[1] .. id
	local state = redis.call('HGET', key, 'state')
	if not state then
		return 0
	end
	if state == 'pending' then
		redis.call('LREM', KEYS[1], 0, id)
	elseif state == 'active' then
		redis.call('LREM', KEYS[2], 0, id)
		redis.call('ZREM', KEYS[3], id)
	elseif zsets[state] then
		redis.call('ZREM', zsets[state], id)
	end
	return delete(id)
end

-- Up to limit IDs of one state; pending from the right end (the next to
-- run), trimmed in one step.
local function remove_state(state, limit)
	local n = 0
	if state == 'pending' then
		local ids = redis.call('LRANGE', KEYS[1], -limit, -1)
		redis.call('LTRIM', KEYS[1], 0, -limit - 1)
		for _, id in ipairs(ids) do
			n = n + delete(id)
		end
		return n, redis.call('LLEN', KEYS[1])
	end
	if state == 'active' then
		for _, id in ipairs(redis.call('LRANGE', KEYS[2], 0,
		    limit - 1)) do
			redis.call('LREM', KEYS[2], 0, id)
			redis.call('ZREM', KEYS[3], id)
			n = n + delete(id)
		end
		return n, redis.call('LLEN', KEYS[2])
	end
	local z = zsets[state]
	for _, id in ipairs(redis.call('ZRANGE', z, 0, limit - 1)) do
		redis.call('ZREM', z, id)
		if redis.call('HGET', ARGV[1] .. id, 'state') == state then
			n = n + delete(id)
		end
	end
	return n, redis.call('ZCARD', z)
end

local n = 0
if ARGV[2] == 'ids' then
	for id in string.gmatch(ARGV[3], '[^,]+') do
		n = n + remove(id)
	end
	return {n, 0}
end
local limit = tonumber(ARGV[4])
if ARGV[2] == 'state' then
	if ARGV[3] ~= 'pending' and ARGV[3] ~= 'active' and
	    not zsets[ARGV[3]] then
		return redis.error_reply('ERR remove: bad state')
	end
	local d, left = remove_state(ARGV[3], limit)
	return {d, left}
end
-- "all": one state's batch per call, the first that is not empty.
local function count(state)
	if state == 'pending' then
		return redis.call('LLEN', KEYS[1])
	elseif state == 'active' then
		return redis.call('LLEN', KEYS[2])
	end
	return redis.call('ZCARD', zsets[state])
end
local left, busy = 0, false
for _, state in ipairs(order) do
	local l = count(state)
	if not busy and l > 0 then
		busy = true
		n, l = remove_state(state, limit)
	end
	left = left + l
end
return {n, left}
