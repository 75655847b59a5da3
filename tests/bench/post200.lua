-- wrk body for the sink's own capacity: the POST a worker sends it
-- (200 bytes of JSON, no "id", so nothing is logged per request).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"n":1,"pad":"' .. string.rep("x", 184) .. '"}'
