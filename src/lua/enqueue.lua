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
--
-- Memory is most of what a waiting task costs, so the hash holds only
-- what is not implied: no queue (the key's {q} says it), no headers when
-- there are none, and none of the fields that start at zero or empty
-- (last_status, last_error, last_dur, finished; deadline and tomb when
-- 0).  Every reader takes a missing field for its zero.  id, attempts
-- and token stay: small, and read first.
local function taken()
	-- Neither the task nor its tombstone: the common case, one command.
	if redis.call('EXISTS', KEYS[1], KEYS[5]) == 0 then
		return false
	end
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
-- id first: HGETALL of a small (listpack) hash returns the fields in
-- the order they were first set.  Numbers are decimal strings, which
-- Redis keeps as integers.  An empty token, although a missing one reads
-- the same to the scripts of this tree: an older lease.lua took a task
-- without one for deleted.  The commonest task (headers, no deadline,
-- unnamed) is written by one literal call: building the argument table
-- costs Redis about a tenth of the whole enqueue.
local hdrs = ARGV[5] ~= '{}' and ARGV[5] ~= ''
if hdrs and ARGV[11] == '0' and ARGV[12] == '0' then
	redis.call('HSET', KEYS[1], 'id', ARGV[1], 'url', ARGV[3],
	    'method', ARGV[4], 'headers', ARGV[5], 'body', ARGV[6],
	    'state', state, 'created', ARGV[7], 'eta', ARGV[8],
	    'attempts', '0', 'token', '')
else
	local f = {'id', ARGV[1], 'url', ARGV[3], 'method', ARGV[4]}
	if hdrs then
		f[#f + 1] = 'headers'
		f[#f + 1] = ARGV[5]
	end
	for _, v in ipairs({'body', ARGV[6], 'state', state, 'created',
	    ARGV[7], 'eta', ARGV[8], 'attempts', '0', 'token', ''}) do
		f[#f + 1] = v
	end
	if ARGV[11] ~= '0' then
		f[#f + 1] = 'deadline'
		f[#f + 1] = ARGV[11]
	end
	if ARGV[12] ~= '0' then
		f[#f + 1] = 'tomb'
		f[#f + 1] = ARGV[12]
	end
	redis.call('HSET', KEYS[1], unpack(f))
end
if later then
	redis.call('ZADD', KEYS[3], ARGV[8], ARGV[1])
	redis.call('PUBLISH', ARGV[10], ARGV[8])
else
	redis.call('LPUSH', KEYS[2], ARGV[1])
end
redis.call('HINCRBY', KEYS[4], 'enqueued', 1)
return redis.status_reply('OK')
