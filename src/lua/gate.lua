-- gate.lua: what claim and lease share, pasted into both at build time
-- (build-aux/lua2c.sh, "--#include gate.lua"): whether the queue may
-- dispatch now, and the bookkeeping of a dispatch.

-- The queue's gate, from its P:{q}:conf hash: paused, then the
-- concurrency cap (maxconc against busy, the active IDs other than the
-- one at hand), then the token bucket (rate tokens a second up to burst,
-- full at first use).  The bucket's clock is Redis's TIME, the one clock
-- every host shares; its state is tb_tokens and tb_at (ms) in the conf
-- hash.  Returns a status reply (PAUSED, or "THROTTLED <ms>" with the wait
-- until the next token) when the queue must wait, else nil and, when the
-- queue has a rate, the bucket to spend() from once a task is taken.
-- With nothing pending (any false) only the pause is looked at: no task,
-- no token.
local function gate(conf, busy, any)
	local c = redis.call('HMGET', conf, 'paused', 'maxconc', 'rate',
	    'burst', 'tb_tokens', 'tb_at')
	if c[1] == '1' then
		return redis.status_reply('PAUSED')
	end
	if not any then
		return nil
	end
	local maxc = tonumber(c[2])
	if maxc and busy >= maxc then
		return redis.status_reply('THROTTLED 50')
	end
	local rate = tonumber(c[3])
	if not rate then
		return nil
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
	return nil, {tokens - 1, now}
end

-- One token taken: the bucket as gate() left it, at its clock.
local function spend(conf, bucket)
	if bucket then
		redis.call('HSET', conf, 'tb_tokens',
		    string.format('%.6f', bucket[1]), 'tb_at',
		    string.format('%.3f', bucket[2]))
	end
end

-- The task at key (ID id) is dispatched now under token: count the
-- attempt, note when (first_at once, last_at and the eta it ran for in
-- last_eta), drop the run flag that may have let it through, and return
-- the hash as a flat [field, value, ...] array with "id" first, then the
-- queue's retry settings as "q:<field>" pairs where conf has them.
local function dispatch(key, id, token, now, conf)
	redis.call('HINCRBY', key, 'attempts', 1)
	local h = redis.call('HMGET', key, 'first_at', 'eta')
	local set = {'state', 'active', 'token', token, 'last_at', now,
	    'last_eta', h[2] or '0'}
	if not h[1] or h[1] == '0' then
		set[#set + 1] = 'first_at'
		set[#set + 1] = now
	end
	redis.call('HSET', key, unpack(set))
	redis.call('HDEL', key, 'run')
	h = redis.call('HGETALL', key)
	local out = {'id', id}
	for i = 1, #h, 2 do
		if h[i] ~= 'id' then
			out[#out + 1] = h[i]
			out[#out + 1] = h[i + 1]
		end
	end
	local names = {'max_attempts', 'min_backoff_ms', 'max_backoff_ms',
	    'max_doublings', 'max_retry_ms'}
	local q = redis.call('HMGET', conf, unpack(names))
	for i, name in ipairs(names) do
		if q[i] then
			out[#out + 1] = 'q:' .. name
			out[#out + 1] = q[i]
		end
	end
	return out
end
