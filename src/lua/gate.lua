-- gate.lua: what claim and lease share, pasted into both at build time
-- (build-aux/lua2c.sh, "--#include gate.lua"): whether the queue may
-- dispatch now and how many, and the bookkeeping of a dispatch.

-- The conf fields a claim reads, in one HMGET: the gate's first, then
-- the retry settings handed back to the worker as "q:<field>" pairs.
local CONF_FIELDS = {'paused', 'maxconc', 'rate', 'burst', 'tb_tokens',
    'tb_at', 'max_attempts', 'min_backoff_ms', 'max_backoff_ms',
    'max_doublings', 'max_retry_ms'}
local CONF_RETRY = 7	-- index of the first retry setting

local function conf_read(conf)
	return redis.call('HMGET', conf, unpack(CONF_FIELDS))
end

-- The queue's retry settings as a flat ["q:<field>", value, ...] array.
local function conf_pairs(c)
	local out = {}
	for i = CONF_RETRY, #CONF_FIELDS do
		if c[i] then
			out[#out + 1] = 'q:' .. CONF_FIELDS[i]
			out[#out + 1] = c[i]
		end
	end
	return out
end

-- The queue's gate, from its conf as conf_read() gave it (c): paused,
-- then the concurrency cap (maxconc against busy: the length of active
-- less minus, the IDs at hand), then the token bucket (rate tokens a
-- second up to burst, full at first use).  The bucket's clock is Redis's
-- TIME, the one clock every host shares; its state is tb_tokens and
-- tb_at (ms) in the conf hash.  Returns a status reply (PAUSED, or
-- "THROTTLED <ms>" with the wait until the next token) when the queue
-- must wait; else nil, how many of the want tasks may go now (at least
-- 1), and, when the queue has a rate, the bucket to spend() from once
-- the tasks are taken.  Active is looked at only under a cap.
local function gate(c, active, minus, want)
	if c[1] == '1' then
		return redis.status_reply('PAUSED')
	end
	local n = want
	local maxc = tonumber(c[2])
	if maxc then
		local busy = redis.call('LLEN', active) - minus
		if busy >= maxc then
			return redis.status_reply('THROTTLED 50')
		end
		n = math.min(n, maxc - busy)
	end
	local rate = tonumber(c[3])
	if not rate then
		return nil, n
	end
	-- A rate of 0 lets nothing through; look again in a second.
	if rate <= 0 then
		return redis.status_reply('THROTTLED 1000')
	end
	local burst = tonumber(c[4])
	if not burst then
		burst = rate < 1 and 1 or math.min(500, math.ceil(rate))
	end
	burst = math.max(1, burst)
	local t = redis.call('TIME')
	local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
	local tokens, at = tonumber(c[5]), tonumber(c[6])
	if not tokens or not at then
		tokens = burst
	elseif now > at then
		tokens = math.min(burst, tokens + (now - at) * rate / 1000)
	else
		tokens = math.min(burst, tokens)
	end
	if tokens < 1 then
		local ms = math.max(1, math.ceil((1 - tokens) * 1000 / rate))
		return redis.status_reply(string.format('THROTTLED %d', ms))
	end
	return nil, math.min(n, math.floor(tokens)), {tokens, now}
end

-- k tokens taken: the bucket as gate() left it, at its clock.
local function spend(conf, bucket, k)
	if bucket and k > 0 then
		redis.call('HSET', conf, 'tb_tokens',
		    string.format('%.6f', bucket[1] - k), 'tb_at',
		    string.format('%.3f', bucket[2]))
	end
end

-- The task fields a dispatch needs (the rest of the hash, the attempt
-- history above all, stays in Redis).  A task always has a url: none
-- means the hash is gone.  A field missing from the hash is its zero.
local TASK_FIELDS = {'url', 'method', 'headers', 'body', 'created', 'eta',
    'attempts', 'deadline', 'tomb', 'first_at', 'execs', 'last_status',
    'last_error', 'run'}

-- The task at key (ID id), whose fields h are TASK_FIELDS as HMGET read
-- them, is dispatched now under token: count the attempt, note when
-- (first_at once, last_at and the eta it ran for in last_eta), drop the
-- run flag that may have let it through, and return what the worker
-- needs as a flat [field, value, ...] array with "id" first.
local function dispatch(key, id, token, now, h)
	-- Integers as strings made here: a Lua number handed to Redis goes
	-- through floating-point formatting.
	local att = string.format('%d', (tonumber(h[7]) or 0) + 1)
	local set = {'attempts', att, 'state', 'active', 'token', token,
	    'last_at', now, 'last_eta', h[6] or '0'}
	if not h[10] or h[10] == '0' then
		h[10] = now
		set[#set + 1] = 'first_at'
		set[#set + 1] = now
	end
	redis.call('HSET', key, unpack(set))
	if h[14] then
		redis.call('HDEL', key, 'run')
	end
	h[7] = att
	local out = {'id', id}
	for i = 1, #TASK_FIELDS - 1 do
		if h[i] then
			out[#out + 1] = TASK_FIELDS[i]
			out[#out + 1] = h[i]
		end
	end
	return out
end

-- Take up to n IDs from the right end of pending (the oldest first) into
-- active, lease them until lease_until and dispatch them; IDs of deleted
-- tasks are dropped on the way (at most skip of them, which keeps one
-- call short even if many pile up).  Appends the tasks to out and
-- returns how many were taken.
local function take(pending, active, lease, base, n, lease_until, token,
    now, out, skip)
	local taken, ids, zargs = 0, {}, {}
	while taken < n do
		local want = n - taken
		local batch = redis.call('LRANGE', pending, -want, -1)
		if #batch == 0 then
			break
		end
		redis.call('LTRIM', pending, 0, -want - 1)
		for i = #batch, 1, -1 do
			local id = batch[i]
			local key = base .. id
			local h = redis.call('HMGET', key, unpack(TASK_FIELDS))
			if h[1] then
				out[#out + 1] = dispatch(key, id, token, now, h)
				ids[#ids + 1] = id
				zargs[#zargs + 1] = lease_until
				zargs[#zargs + 1] = id
				taken = taken + 1
			else
				skip = skip - 1
			end
		end
		if skip <= 0 then
			break
		end
	end
	if taken > 0 then
		-- As LMOVE RIGHT LEFT one by one: the oldest deepest.
		redis.call('LPUSH', active, unpack(ids))
		redis.call('ZADD', lease, unpack(zargs))
	end
	return taken
end
