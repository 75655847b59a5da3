-- enqueue: write a new task and make it pending, or scheduled when its
-- eta lies in the future; a scheduled task is announced on the wake
-- channel so that a scheduler sleeping past its due time wakes up.
--
-- KEYS[1] P:{q}:t:ID  KEYS[2] P:{q}:pending  KEYS[3] P:{q}:scheduled
-- KEYS[4] P:{q}:stats  KEYS[5] P:{q}:tomb:ID  KEYS[6] P:{q}:done
-- KEYS[7] P:{q}:dead  KEYS[8] P:{q}:conf
-- ARGV[1] id  ARGV[2] queue  ARGV[3] url  ARGV[4] method
-- ARGV[5] headers (JSON object)  ARGV[6] body  ARGV[7] created (wall ms)
-- ARGV[8] eta (wall ms)  ARGV[9] now (wall ms)  ARGV[10] wake channel
-- ARGV[11] deadline (ms, 0: the queue's timeout)  ARGV[12] tomb (ms the
-- ID stays taken once the task is gone, 0: none)  ARGV[13] "1" when the
-- queue is not one of the configuration file: it must exist (created
-- over the API: its conf has "created")
--
-- Returns status OK; an error reply "NOQUEUE ..." when the queue must
-- exist and does not (deleted a moment ago: the task would sit where no
-- one looks); "EXISTS ..." when the ID exists already, or its
-- tombstone does (a named task gone recently, see tomb.lua), so that an
-- ID collision can never overwrite a task.  A named task that finished
-- (done or dead) and whose tombstone has expired has given its name up:
-- it is replaced, as Cloud Tasks lets a name be used again.
local function taken()
	if redis.call('EXISTS', KEYS[5]) == 1 then
		return true
	end
	local old = redis.call('HMGET', KEYS[1], 'state', 'tomb')
	if not old[1] then
		return false
	end
	if (old[1] ~= 'done' and old[1] ~= 'dead') or
	    (tonumber(old[2]) or 0) <= 0 then
		return true
	end
	redis.call('ZREM', KEYS[6], ARGV[1])
	redis.call('ZREM', KEYS[7], ARGV[1])
	redis.call('DEL', KEYS[1])
	return false
end

if ARGV[13] == '1' and redis.call('HEXISTS', KEYS[8], 'created') == 0 then
	return redis.error_reply('NOQUEUE queue ' .. ARGV[2] .. ' does not exist')
end
if taken() then
	return redis.error_reply('EXISTS task ' .. ARGV[1] .. ' exists')
end
local later = tonumber(ARGV[8]) > tonumber(ARGV[9])
local state = 'pending'
if later then
	state = 'scheduled'
end
-- Numbers are decimal strings and id comes first: HGETALL of a small
-- (listpack) hash returns the fields in this order.
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'queue', ARGV[2],
    'url', ARGV[3], 'method', ARGV[4], 'headers', ARGV[5],
    'body', ARGV[6], 'state', state, 'created', ARGV[7], 'eta', ARGV[8],
    'attempts', '0', 'token', '', 'last_status', '0', 'last_error', '',
    'last_dur', '0', 'finished', '0', 'deadline', ARGV[11],
    'tomb', ARGV[12])
if later then
	redis.call('ZADD', KEYS[3], ARGV[8], ARGV[1])
	redis.call('PUBLISH', ARGV[10], ARGV[8])
else
	redis.call('LPUSH', KEYS[2], ARGV[1])
end
redis.call('HINCRBY', KEYS[4], 'enqueued', 1)
return redis.status_reply('OK')
