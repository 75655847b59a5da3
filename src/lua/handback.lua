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
-- which counted no attempt.  Returns 1 when handed back, else 0.  A
-- token missing from the hash counts as "" (no lease).
local h = redis.call('HMGET', KEYS[4], 'url', 'token', 'attempts')
if not h[1] then
	return 0
end
local tok = h[2] or ''
if ARGV[2] ~= '' then
	if tok ~= ARGV[2] then
		return 0
	end
elseif tok ~= '' or not redis.call('LPOS', KEYS[1], ARGV[1]) then
	return 0
end
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local set = {'state', 'pending', 'token', ''}
if ARGV[2] ~= '' and (tonumber(h[3]) or 0) > 0 then
	set[#set + 1] = 'attempts'
	set[#set + 1] = tonumber(h[3]) - 1
end
redis.call('HSET', KEYS[4], unpack(set))
redis.call('RPUSH', KEYS[3], ARGV[1])
return 1
