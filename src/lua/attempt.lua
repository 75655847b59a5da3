-- attempt.lua: what ack, retry and sweep share, pasted into each of them
-- at build time (build-aux/lua2c.sh, "--#include attempt.lua"): a script
-- sent to Redis must carry its own functions.

-- The duration histogram: one field per bucket (not cumulative; the
-- renderer adds them up), upper bounds in ms with their "le" labels.
local HIST_BOUNDS = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
    10000, 30000, 60000, 300000, 1800000}
local HIST_LES = {'0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5',
    '1', '2.5', '5', '10', '30', '60', '300', '1800'}

local function hist_field(ms)
	for i, b in ipairs(HIST_BOUNDS) do
		if ms <= b then
			return 'd:' .. HIST_LES[i]
		end
	end
	return 'd:+Inf'
end

local function observe(stats, ms)
	redis.call('HINCRBY', stats, hist_field(ms), 1)
	redis.call('HINCRBY', stats, 'dur_sum', ms)
	redis.call('HINCRBY', stats, 'dur_count', 1)
end

-- Counters of a batch, added to the stats hash in two commands at the
-- end instead of several HINCRBYs per task: tally(t, field, n) in Lua,
-- then tally_flush(stats, t).  The sums are what HINCRBY would leave.
local function tally(t, field, n)
	t[field] = (t[field] or 0) + n
end

local function tally_flush(stats, t)
	local names = {}
	for f in pairs(t) do
		names[#names + 1] = f
	end
	if #names == 0 then
		return
	end
	local cur = redis.call('HMGET', stats, unpack(names))
	local set = {}
	for i, f in ipairs(names) do
		set[#set + 1] = f
		set[#set + 1] = string.format('%d', (tonumber(cur[i]) or 0) +
		    t[f])
	end
	redis.call('HSET', stats, unpack(set))
end

-- One attempt in the task's history: a:1, a:2, ... (hn counts them, so a
-- dead task retried by hand keeps its earlier attempts).
local function record(key, now, status, err, dur)
	local n = redis.call('HINCRBY', key, 'hn', 1)
	redis.call('HSET', key, 'a:' .. n, cjson.encode({time = now,
	    status = status, error = err, dur = dur}))
end

-- A response came (status > 0): count it in responses, and in execs
-- unless it is a 5xx (Cloud Tasks' execution count leaves those out), and
-- note when in last_resp_at.  now is the decimal string.
local function respond(key, now, status)
	if status > 0 then
		redis.call('HINCRBY', key, 'responses', 1)
		if status < 500 then
			redis.call('HINCRBY', key, 'execs', 1)
		end
		redis.call('HSET', key, 'last_resp_at', now)
	end
end

-- What record() and respond() write, as field/value pairs appended to
-- set for one HSET, from the task's current hn, responses and execs (h,
-- as read with its token).
local function finish_fields(set, h, now, status, err, dur)
	local n = string.format('%d', (tonumber(h.hn) or 0) + 1)
	set[#set + 1] = 'hn'
	set[#set + 1] = n
	set[#set + 1] = 'a:' .. n
	-- As record() writes it, without a table and a cjson call for the
	-- commonest case: no error.
	set[#set + 1] = string.format('{"time":%s,"status":%d,"error":%s,' ..
	    '"dur":%d}', now, status, err == '' and '""' or cjson.encode(err),
	    dur)
	if status > 0 then
		set[#set + 1] = 'responses'
		set[#set + 1] = string.format('%d',
		    (tonumber(h.responses) or 0) + 1)
		if status < 500 then
			set[#set + 1] = 'execs'
			set[#set + 1] = string.format('%d',
			    (tonumber(h.execs) or 0) + 1)
		end
		set[#set + 1] = 'last_resp_at'
		set[#set + 1] = now
	end
end

-- The task's fields the lease check and finish_fields() need.
local function finish_read(key)
	local h = redis.call('HMGET', key, 'token', 'hn', 'responses',
	    'execs', 'tomb')
	return {token = h[1], hn = h[2], responses = h[3], execs = h[4],
	    tomb = h[5]}
end
