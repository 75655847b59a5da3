-- retry: dispatches that failed, in one batch of one queue; active ->
-- retry at next_at, or -> dead when next_at is 0 (out of retries).
-- Checks the lease like ack.
--
-- KEYS[1] P:{q}:active  KEYS[2] P:{q}:lease  KEYS[3] P:{q}:retry
-- KEYS[4] P:{q}:dead  KEYS[5] P:{q}:stats  KEYS[6] P:{q}:minute
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] now (wall ms)
-- ARGV[3] wake channel
-- then per task, from ARGV[4]: id, token, next_at, HTTP status (0 none),
-- error, duration (ms)
--
-- Counts the failed dispatches (their durations too) and records each
-- attempt and response like ack; a named task that dies leaves its
-- tombstone.  Returns an array with, per task, 1 when recorded, 0 when
-- the lease was not ours.
--#include attempt.lua
--#include tomb.lua

local now = ARGV[2]
local t, failed, zrem, res = {}, 0, {}, {}
local wake = nil
for i = 4, #ARGV - 5, 6 do
	local id, token, next_at = ARGV[i], ARGV[i + 1], ARGV[i + 2]
	local status, dur = tonumber(ARGV[i + 3]), tonumber(ARGV[i + 5])
	local key = ARGV[1] .. id
	local h = finish_read(key)
	if token == '' or h.token ~= token then
		res[#res + 1] = 0
	else
		-- From the right, and only the one: see ack.lua.
		redis.call('LREM', KEYS[1], -1, id)
		local set = {'token', '', 'last_status', ARGV[i + 3],
		    'last_error', ARGV[i + 4], 'last_dur', ARGV[i + 5]}
		if tonumber(next_at) > 0 then
			set[#set + 1] = 'state'
			set[#set + 1] = 'retry'
			redis.call('ZADD', KEYS[3], next_at, id)
			if not wake or tonumber(next_at) < tonumber(wake) then
				wake = next_at
			end
			tally(t, 'retried', 1)
		else
			set[#set + 1] = 'state'
			set[#set + 1] = 'dead'
			set[#set + 1] = 'finished'
			set[#set + 1] = now
			redis.call('ZADD', KEYS[4], now, id)
			bury_ms(tomb_key(ARGV[1], id), h.tomb)
			tally(t, 'dead', 1)
		end
		finish_fields(set, h, now, status, ARGV[i + 4], dur)
		redis.call('HSET', key, unpack(set))
		zrem[#zrem + 1] = id
		tally(t, hist_field(dur), 1)
		tally(t, 'dur_sum', dur)
		failed = failed + 1
		res[#res + 1] = 1
	end
end
if failed > 0 then
	redis.call('ZREM', KEYS[2], unpack(zrem))
	tally(t, 'dispatched', failed)
	tally(t, 'failed', failed)
	tally(t, 'dur_count', failed)
	tally_flush(KEYS[5], t)
	redis.call('HINCRBY', KEYS[6],
	    math.floor(tonumber(now) / 60000) .. ':fail', failed)
end
if wake then
	redis.call('PUBLISH', ARGV[3], wake)
end
return res
