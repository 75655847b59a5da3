-- attempt.lua: what ack, retry and sweep share, pasted into each of them
-- at build time (build-aux/lua2c.sh, "--#include attempt.lua"): a script
-- sent to Redis must carry its own functions.

-- The duration histogram: one field per bucket (not cumulative; the
-- renderer adds them up), upper bounds in ms with their "le" labels.
local function observe(stats, ms)
	local bounds = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
	    10000, 30000, 60000, 300000, 1800000}
	local les = {'0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5',
	    '1', '2.5', '5', '10', '30', '60', '300', '1800'}
	local le = '+Inf'
	for i, b in ipairs(bounds) do
		if ms <= b then
			le = les[i]
			break
		end
	end
	redis.call('HINCRBY', stats, 'd:' .. le, 1)
	redis.call('HINCRBY', stats, 'dur_sum', ms)
	redis.call('HINCRBY', stats, 'dur_count', 1)
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
