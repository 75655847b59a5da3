-- tomb.lua: the tombstone of a named task, pasted at build time
-- (build-aux/lua2c.sh, "--#include tomb.lua") into every script that ends
-- or deletes tasks: ack, retry, sweep, remove and qdel.
--
-- A task created under a name (its hash has tomb > 0) leaves its ID taken
-- for tomb ms once it ends or is deleted, as Cloud Tasks refuses a name
-- used recently: enqueue refuses an ID whose P:{q}:tomb:ID exists.

-- P:{q}:tomb:ID from the task key base "P:{q}:t:", for scripts that
-- build their task keys.
local function tomb_key(base, id)
	return string.sub(base, 1, -3) .. 'tomb:' .. id
end

-- Set the tombstone tkey of a task whose tomb field is ms, if named; for
-- scripts that have read the field already.
local function bury_ms(tkey, ms)
	ms = tonumber(ms)
	if ms and ms > 0 then
		redis.call('SET', tkey, '1', 'PX', string.format('%.0f', ms))
	end
end

-- Before the task at key ends or goes: set its tombstone tkey, if named.
local function bury(key, tkey)
	bury_ms(tkey, redis.call('HGET', key, 'tomb'))
end
