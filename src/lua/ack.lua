-- ack: dispatches that answered 2xx, in one batch of one queue;
-- active -> done.  Only the worker whose lease is current may do this: a
-- late ack after the lease was taken away changes nothing.
--
-- KEYS[1] P:{q}:active  KEYS[2] P:{q}:lease  KEYS[3] P:{q}:done
-- KEYS[4] P:{q}:stats  KEYS[5] P:{q}:minute
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] now (wall ms)
-- then per task, from ARGV[3]: id, token, HTTP status, duration (ms)
--
-- Counts the dispatches in stats (and per minute) and records each
-- attempt in its task's history, and the response (see attempt.lua).  A
-- named task leaves its tombstone.  Returns an array with, per task, 1
-- when recorded, 0 when the lease was not ours.
--#include attempt.lua
--#include tomb.lua

local now = ARGV[2]
local t, ok, zrem, zadd, res = {}, 0, {}, {}, {}
for i = 3, #ARGV - 3, 4 do
	local id, token = ARGV[i], ARGV[i + 1]
	local status, dur = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
	local key = ARGV[1] .. id
	local h = finish_read(key)
	if token == '' or h.token ~= token then
		res[#res + 1] = 0
	else
		-- An ID is in active at most once (it only comes from
		-- pending, which never holds an active ID) and claims push
		-- to the left, so the tasks that end are mostly near the
		-- right end: LREM -1 scans from there and stops at the
		-- match, where a count of 0 reads the whole list, every
		-- task in flight, for each ack.
		redis.call('LREM', KEYS[1], -1, id)
		local set = {'state', 'done', 'token', '', 'last_status',
		    ARGV[i + 2], 'last_error', '', 'last_dur', ARGV[i + 3],
		    'finished', now}
		finish_fields(set, h, now, status, '', dur)
		redis.call('HSET', key, unpack(set))
		bury_ms(tomb_key(ARGV[1], id), h.tomb)
		zrem[#zrem + 1] = id
		zadd[#zadd + 1] = now
		zadd[#zadd + 1] = id
		tally(t, hist_field(dur), 1)
		tally(t, 'dur_sum', dur)
		ok = ok + 1
		res[#res + 1] = 1
	end
end
if ok > 0 then
	redis.call('ZREM', KEYS[2], unpack(zrem))
	redis.call('ZADD', KEYS[3], unpack(zadd))
	tally(t, 'dispatched', ok)
	tally(t, 'succeeded', ok)
	tally(t, 'dur_count', ok)
	tally_flush(KEYS[4], t)
	redis.call('HINCRBY', KEYS[5],
	    math.floor(tonumber(now) / 60000) .. ':ok', ok)
end
return res
