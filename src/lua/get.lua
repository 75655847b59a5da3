-- get: one task, whole.
--
-- KEYS[1] P:{q}:t:ID  KEYS[2] P:{q}:scheduled  KEYS[3] P:{q}:retry
-- ARGV[1] id
--
-- Returns nil when there is no such task, else {the hash as a flat
-- [field, value, ...] array, next run time ("" unless scheduled or
-- retry)}.
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then
	return false
end
local at = false
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'scheduled' then
	at = redis.call('ZSCORE', KEYS[2], ARGV[1])
elseif state == 'retry' then
	at = redis.call('ZSCORE', KEYS[3], ARGV[1])
end
return {h, at or ''}
