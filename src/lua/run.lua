-- run: RunTask, run one task now, by hand.  A pending task moves to the
-- right end of pending (next in line); a scheduled or retry one leaves
-- its set for there, with eta = now.  Either way run = "1" lets the next
-- claim or lease take it although the queue is paused or throttled.
--
-- KEYS[1] P:{q}:pending  KEYS[2] P:{q}:scheduled  KEYS[3] P:{q}:retry
-- KEYS[4] P:{q}:t:ID  KEYS[5] P:{q}:active
-- ARGV[1] id  ARGV[2] now (wall ms)
--
-- Returns 1 when done, 2 when the task is active (it runs already;
-- nothing changes), 0 when there is no such task or it is done or dead.
local state = redis.call('HGET', KEYS[4], 'state')
if state == 'active' then
	return 2
end
local sets = {scheduled = KEYS[2], retry = KEYS[3]}
if state ~= 'pending' and not sets[state] then
	return 0
end
if sets[state] then
	redis.call('ZREM', sets[state], ARGV[1])
	redis.call('HSET', KEYS[4], 'state', 'pending', 'eta', ARGV[2])
end
redis.call('HSET', KEYS[4], 'run', '1')
-- A pending ID a worker's BLMOVE took is in active, about to be leased:
-- the flag is enough (lease lets it through); a second entry in pending
-- would dispatch it twice.
if state == 'pending' and redis.call('LREM', KEYS[1], 0, ARGV[1]) == 0 and
    redis.call('LPOS', KEYS[5], ARGV[1]) then
	return 1
end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
