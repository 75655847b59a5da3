-- extend: push a running task's lease out, if the lease is still ours.
--
-- KEYS[1] P:{q}:lease  KEYS[2] P:{q}:t:ID
-- ARGV[1] id  ARGV[2] token  ARGV[3] lease_until (wall ms)
--
-- Returns 1 when extended, 0 when the lease is no longer ours.
if ARGV[2] == '' or redis.call('HGET', KEYS[2], 'token') ~= ARGV[2] then
	return 0
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
	return 0
end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
return 1
