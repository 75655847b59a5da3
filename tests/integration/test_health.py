"""GET /health follows Redis; enqueue fails cleanly while Redis is down
and works again, by itself, once it is back."""

import time

from tdlib import assert_error_shape, wait_for, wait_state


def test_health_ok(start_daemon):
    d = start_daemon({"workers.count": 0})
    resp = d.request("GET", "/health")
    assert resp.status == 200, resp
    assert (resp.header("Content-Type") or "").startswith("application/json")
    assert resp.json == {"status": "ok"}, resp


def test_health_follows_redis(start_daemon, redis, target, r):
    d = start_daemon({"workers.count": 1})
    assert d.health() == 200

    redis.stop()
    wait_for(lambda: d.health() == 503, 10, msg="/health 503 without Redis")
    assert_error_shape(d.request("GET", "/health"), 503, "UNAVAILABLE")
    resp = d.enqueue(target.url("/while-down"))
    assert_error_shape(resp, 503, "UNAVAILABLE")

    redis.start()
    wait_for(lambda: d.health() == 200, 20,
             msg="/health back to 200 after Redis restart")
    resp = d.enqueue(target.url("/after"))
    assert resp.status == 200, resp
    tid = resp.json["task_id"]
    target.wait_count(1, path="/after", timeout=20)
    wait_state(r, "default", tid, "done")
    # The one refused while Redis was down was not stored anywhere.
    assert target.count("/while-down") == 0
    assert [k for k in r.keys("td:*") if ":t:" in k] == \
        [f"td:{{default}}:t:{tid}"]


def test_redis_restart_midflight(start_daemon, redis, target, r):
    """Redis goes away while a dispatch runs and comes back: the task is
    not lost, and the scheduler still wakes for new delayed tasks."""
    d = start_daemon({"workers.count": 1, "workers.lease": "2s"})
    target.plan_hang("/mid", gate="mid")
    tid = d.enqueue(target.url("/mid")).json["task_id"]
    target.wait_count(1, path="/mid")
    redis.stop()                        # AOF: the task survives
    wait_for(lambda: d.health() == 503, 10)
    target.release("mid")               # the dispatch ends without Redis
    wait_for(lambda: target.requests("/mid")[0].end, 5)
    redis.start()
    wait_for(lambda: d.health() == 200, 20)
    # At least once: it may be dispatched again, but it ends done.
    wait_state(r, "default", tid, "done", timeout=20)

    t0 = time.monotonic()
    later = d.enqueue(target.url("/later"), delay=0.5).json["task_id"]
    req = target.wait_count(1, path="/later", timeout=10)[0]
    assert req.t - t0 >= 0.5 - 0.002
    # Woken by the publish, not by a slow poll.
    assert req.t - t0 <= 5, req.t - t0
    wait_state(r, "default", later, "done")
