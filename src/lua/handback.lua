-- handback: a worker gives back a task it will not finish (it is
-- quitting): active -> the front of pending, so it runs next.
--
-- KEYS[1] P:{q}:active  KEYS[2] P:{q}:lease  KEYS[3] P:{q}:pending
-- KEYS[4] P:{q}:t:ID
-- ARGV[1] id  ARGV[2] token, or "" for an ID taken by BLMOVE and never
-- leased
--
-- With a token the lease must be ours, and the attempt it counted is
-- taken back.  Without one, the ID must be in active and leased by no
-- worker (no token in the hash): at most the sweep's stand-in lease,
-- which counted no attempt.  Returns 1 when handed back, else 0.
local tok = redis.call('HGET', KEYS[4], 'token')
if not tok then
	return 0
end
if ARGV[2] ~= '' then
	if tok ~= ARGV[2] then
		return 0
	end
elseif tok ~= '' or not redis.call('LPOS', KEYS[1], ARGV[1]) then
	return 0
end
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] ~= '' and
    (tonumber(redis.call('HGET', KEYS[4], 'attempts')) or 0) > 0 then
	redis.call('HINCRBY', KEYS[4], 'attempts', -1)
end
redis.call('HSET', KEYS[4], 'state', 'pending', 'token', '')
redis.call('RPUSH', KEYS[3], ARGV[1])
return 1
