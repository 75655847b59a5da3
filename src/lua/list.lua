-- list: one page of a queue's tasks in one state.
--
-- KEYS[1] the state's list (pending, active) or zset (scheduled, retry,
-- dead, done)
-- ARGV[1] task key base "P:{q}:t:"  ARGV[2] order: "list" (oldest at the
-- right end first), "asc" or "desc" (by score)  ARGV[3] page token ("" for
-- the first page)  ARGV[4] page size  ARGV[5] URL substring ("" for all)
--
-- A list's token is an offset from the right end; a zset's is
-- "score:id" of the last one shown, so a page goes on after that task even
-- when earlier ones left the set meanwhile.  The URL filter is applied to
-- the page's candidates, so a page may hold fewer than the page size.
--
-- Returns {next token ("" at the end), then per task: id, state, url,
-- method, attempts, created, eta, finished, last_status, last_error,
-- score ("" for lists)}.
local size = tonumber(ARGV[4])
local tok = ARGV[3]
local ids, scores = {}, {}
local more = false
if ARGV[2] == 'list' then
	local off = tonumber(tok) or 0
	local r = redis.call('LRANGE', KEYS[1], -(off + size + 1), -(off + 1))
	more = #r > size
	for i = #r, 1, -1 do
		if #ids < size then
			ids[#ids + 1] = r[i]
		end
	end
	if more then
		tok = tostring(off + size)
	end
else
	local desc = ARGV[2] == 'desc'
	local r
	local sc, last = string.match(tok, '^([^:]+):(.+)$')
	local rank = nil
	if last then
		if desc then
			rank = redis.call('ZREVRANK', KEYS[1], last)
		else
			rank = redis.call('ZRANK', KEYS[1], last)
		end
	end
	if tok == '' or rank then
		local start = 0
		if rank then
			start = rank + 1
		end
		if desc then
			r = redis.call('ZREVRANGE', KEYS[1], start, start + size,
			    'WITHSCORES')
		else
			r = redis.call('ZRANGE', KEYS[1], start, start + size,
			    'WITHSCORES')
		end
	elseif desc then
		r = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. sc, '-inf',
		    'WITHSCORES', 'LIMIT', 0, size + 1)
	else
		r = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. sc, '+inf',
		    'WITHSCORES', 'LIMIT', 0, size + 1)
	end
	for i = 1, #r, 2 do
		if #ids < size then
			ids[#ids + 1] = r[i]
			scores[#ids] = r[i + 1]
		else
			more = true
		end
	end
	if more then
		tok = scores[#ids] .. ':' .. ids[#ids]
	end
end
local out = {''}
if more then
	out[1] = tok
end
for i, id in ipairs(ids) do
	local h = redis.call('HMGET', ARGV[1] .. id, 'state', 'url', 'method',
	    'attempts', 'created', 'eta', 'finished', 'last_status',
	    'last_error')
	if h[1] and (ARGV[5] == '' or
	    string.find(h[2] or '', ARGV[5], 1, true)) then
		out[#out + 1] = id
		for j = 1, 9 do
			out[#out + 1] = h[j] or ''
		end
		out[#out + 1] = scores[i] or ''
	end
end
return out
