-- qcreate: CreateQueue (and UpdateQueue of a queue that does not exist).
-- The name goes into P:queues and the queue's settings into its conf hash
-- in one step, so that no process ever sees the name without them, and
-- the count of queues is checked in the same step.
--
-- KEYS[1] P:queues  KEYS[2] P:{q}:conf
-- ARGV[1] queue  ARGV[2] most queues P:queues may hold  ARGV[3] created
-- (wall ms)  ARGV[4..] field, value, ... of the conf hash
--
-- Returns status OK; an error reply "EXISTS ..." when the queue exists,
-- "FULL ..." when P:queues holds ARGV[2] queues already.
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
	return redis.error_reply('EXISTS queue ' .. ARGV[1] .. ' exists')
end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then
	return redis.error_reply('FULL at most ' .. ARGV[2] .. ' queues')
end
redis.call('SADD', KEYS[1], ARGV[1])
-- What a queue of the file had set (a pause) is replaced too.
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'created', ARGV[3], unpack(ARGV, 4))
return redis.status_reply('OK')
