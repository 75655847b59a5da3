-- lease: the idle path's second half.  A worker's BLMOVE moved ID
-- pending -> active; lease it now, as claim does.
--
-- KEYS[1] P:{q}:active  KEYS[2] P:{q}:lease  KEYS[3] P:{q}:t:ID
-- KEYS[4] P:{q}:pending  KEYS[5] P:{q}:conf
-- ARGV[1] id  ARGV[2] lease_until (wall ms)  ARGV[3] token
--
-- Returns the task hash as a flat array with "id" first, or nil when the
-- ID is no longer ours: gone from active (the sweep recovered it
-- meanwhile), leased under another worker's token, or deleted (then it is
-- dropped from active too).  Status PAUSED when the queue was paused
-- meanwhile: the ID goes back to the right end of pending, next in line
-- as it was, with no attempt counted.
if ARGV[3] == '' then
	return redis.error_reply('ERR lease without a token')
end
if not redis.call('LPOS', KEYS[1], ARGV[1]) then
	return false
end
local tok = redis.call('HGET', KEYS[3], 'token')
if not tok then
	redis.call('LREM', KEYS[1], 0, ARGV[1])
	redis.call('ZREM', KEYS[2], ARGV[1])
	return false
end
-- An empty token with a lease is the sweep's stand-in lease for an ID
-- nobody leased; the worker that moved it takes over.
if tok ~= '' then
	return false
end
if redis.call('HGET', KEYS[5], 'paused') == '1' then
	redis.call('LREM', KEYS[1], 0, ARGV[1])
	redis.call('ZREM', KEYS[2], ARGV[1])
	redis.call('RPUSH', KEYS[4], ARGV[1])
	return redis.status_reply('PAUSED')
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'attempts', 1)
redis.call('HSET', KEYS[3], 'state', 'active', 'token', ARGV[3])
local h = redis.call('HGETALL', KEYS[3])
local out = {'id', ARGV[1]}
for i = 1, #h, 2 do
	if h[i] ~= 'id' then
		out[#out + 1] = h[i]
		out[#out + 1] = h[i + 1]
	end
end
return out
