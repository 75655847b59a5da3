-- wrk body for POST /v1/enqueue: one task aimed at the bench sink, with a
-- 200-byte JSON body once unescaped, the peers' task shape (same headers).
--   wrk -t1 -c64 -d10s --latency -s enqueue.lua \
--       http://127.0.0.1:PORT/v1/enqueue
-- Env: SINK_URL (http://127.0.0.1:9109/t), QUEUE (default), DELAY (0, s).
-- The same script drives nginx's "return 204" for the HTTP ceiling, so
-- both see byte-identical requests.
local sink = os.getenv("SINK_URL") or "http://127.0.0.1:9109/t"
local queue = os.getenv("QUEUE") or "default"
local delay = os.getenv("DELAY") or "0"
local body = '{\\"id\\":1,\\"pad\\":\\"' .. string.rep("x", 183) .. '\\"}'

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"queue":"' .. queue .. '","delay":' .. delay ..
    ',"task":{"url":"' .. sink .. '","method":"POST","headers":' ..
    '{"Content-Type":"application/json","User-Agent":"td-peer-bench"},' ..
    '"body":"' .. body .. '"}}'
