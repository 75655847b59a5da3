-- sweep: recover tasks whose worker is gone.
--
-- KEYS[1] P:{q}:active  KEYS[2] P:{q}:lease  KEYS[3] P:{q}:retry
-- KEYS[4] P:{q}:dead  KEYS[5] P:{q}:stats  KEYS[6] P:{q}:conf
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] now (wall ms)
-- ARGV[3] lease (ms)  ARGV[4] max_retries  ARGV[5] limit
--
-- (a) At most limit expired leases: the task goes to retry at once (the
--     scheduler promotes it), or to dead when its attempts are used up:
--     past max_retries, or, when the queue's conf has max_attempts (Cloud
--     Tasks' retry settings), once attempts >= max_attempts (-1: no
--     limit) and, with max_retry_ms > 0, also max_retry_ms since first_at
--     (with -1, the time alone).
--     The lost attempt goes into the task's history and the stats; a
--     named task that dies leaves its tombstone.
-- (b) An ID in active with no lease (its worker died between BLMOVE and
--     the lease) gets a lease of its own, and is recovered like any other
--     once that expires.  IDs of deleted tasks are dropped from active.
-- Returns {expired, next_expiry}, next_expiry -1 when no lease is held.
--#include attempt.lua
--#include tomb.lua

local now = ARGV[2]
local maxr = tonumber(ARGV[4])
local ct = redis.call('HMGET', KEYS[6], 'max_attempts', 'max_retry_ms')
local max_att, max_ms = tonumber(ct[1]), tonumber(ct[2]) or 0

-- As the worker decides (backoff_ct_next): with max_attempts -1 only the
-- time stops it; else the attempts, and the time too when max_retry_ms
-- is set.  No first_at (never dispatched) counts as no time passed.
local function spent(key, att)
	if not max_att then
		return att > maxr
	end
	local out_of_time = false
	if max_ms > 0 then
		local first = tonumber(redis.call('HGET', key, 'first_at')) or 0
		out_of_time = first > 0 and tonumber(now) - first >= max_ms
	end
	if max_att == -1 then
		return out_of_time
	end
	return att >= max_att and (max_ms <= 0 or out_of_time)
end

local expired = 0
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now,
    'LIMIT', 0, tonumber(ARGV[5]))
for _, id in ipairs(ids) do
	redis.call('ZREM', KEYS[2], id)
	local removed = redis.call('LREM', KEYS[1], 0, id)
	local key = ARGV[1] .. id
	local state = redis.call('HGET', key, 'state')
	-- A finished task is left alone even if a stray copy of its ID was
	-- in active (ack and retry remove one copy, from the right).
	if state and state ~= 'done' and state ~= 'dead' and
	    (removed > 0 or state == 'active') then
		expired = expired + 1
		redis.call('HSET', key, 'token', '', 'last_error',
		    'lease expired')
		record(key, tonumber(now), 0, 'lease expired', 0)
		local att = redis.call('HGET', key, 'attempts')
		if spent(key, tonumber(att) or 0) then
			redis.call('HSET', key, 'state', 'dead',
			    'finished', now)
			redis.call('ZADD', KEYS[4], now, id)
			bury(key, tomb_key(ARGV[1], id))
			redis.call('HINCRBY', KEYS[5], 'dead', 1)
		else
			redis.call('HSET', key, 'state', 'retry')
			redis.call('ZADD', KEYS[3], now, id)
			redis.call('HINCRBY', KEYS[5], 'retried', 1)
		end
	end
end
local lease_until = string.format('%.0f',
    tonumber(now) + tonumber(ARGV[3]))
-- (b) looks at every active ID, which costs a command per task in
-- flight, every second: only when active holds more IDs than there are
-- leases (what a worker that died after its BLMOVE leaves), and, in case
-- an orphan lease hides one, on every tenth second anyway.
local scan = redis.call('LLEN', KEYS[1]) ~= redis.call('ZCARD', KEYS[2]) or
    math.floor(tonumber(now) / 1000) % 10 == 0
for _, id in ipairs(scan and redis.call('LRANGE', KEYS[1], 0, -1) or {}) do
	if not redis.call('ZSCORE', KEYS[2], id) then
		if redis.call('EXISTS', ARGV[1] .. id) == 0 then
			redis.call('LREM', KEYS[1], 0, id)
		else
			redis.call('ZADD', KEYS[2], lease_until, id)
		end
	end
end
local next_expiry = -1
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if first[2] then
	next_expiry = tonumber(first[2])
end
return {expired, next_expiry}
