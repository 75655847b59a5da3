"""Pausing a queue: nothing is claimed from it (fast path or idle path),
enqueue still works, nothing is lost or reordered, resume takes effect
within about a second, and the pause survives a daemon restart."""

from tdlib import assert_error_shape, tkey, wait_for, wait_state


def pause(d, queue, action="pause"):
    resp = d.request("POST", f"/v1/queues/{queue}:{action}", b"")
    assert resp.status == 200, resp
    return resp.json


def settle(d, target, marker):
    """Let every worker go round its claim loop: a task on another queue
    is delivered after the paused queue was asked (and found paused)."""
    d.enqueue(target.url(f"/{marker}"), queue="low")
    target.wait_count(1, path=f"/{marker}")


def test_pause_holds_tasks_resume_delivers(start_daemon, target, r):
    d = start_daemon()
    q = pause(d, "default")
    assert q["name"] == "default" and q["state"] == "paused"
    assert r.hgetall(tkey("default", "conf")) == {"paused": "1"}
    ids = [d.enqueue(target.url(f"/p{i}")).json["task_id"]
           for i in range(3)]
    settle(d, target, "m1")
    settle(d, target, "m2")
    assert sum(target.count(f"/p{i}") for i in range(3)) == 0
    assert sorted(r.lrange(tkey("default", "pending"))) == sorted(ids)
    for tid in ids:
        assert r.hgetall(tkey("default", "t:" + tid))["attempts"] == "0"
    assert d.request("GET", "/v1/queues/default").json["state"] == "paused"

    q = pause(d, "default", "resume")
    assert q["state"] == "running"
    assert r.hgetall(tkey("default", "conf")) == {}
    for i in range(3):
        target.wait_count(1, path=f"/p{i}", timeout=10)
    for tid in ids:
        wait_state(r, "default", tid, "done")


def test_pause_keeps_order(start_daemon, target, r):
    d = start_daemon({"workers.count": 1})
    pause(d, "default")
    paths = [f"/o{i}" for i in range(5)]
    for p in paths:
        d.enqueue(target.url(p))
    settle(d, target, "m")
    pause(d, "default", "resume")
    target.wait_count(6)
    got = [q.path for q in target.requests() if q.path.startswith("/o")]
    assert got == paths


def test_pause_idle_worker(start_daemon, target, r):
    """Workers blocked in BLMOVE on the queue when it is paused: the ID
    they take goes back to pending, next in line."""
    d = start_daemon({"workers.count": 1})
    d.wait_children(1)
    pause(d, "default")
    a = d.enqueue(target.url("/a")).json["task_id"]
    b = d.enqueue(target.url("/b")).json["task_id"]
    settle(d, target, "m")
    assert target.count("/a") == 0 and target.count("/b") == 0
    # Oldest (a) at the right end: the next to run.
    assert r.lrange(tkey("default", "pending")) == [b, a]
    assert r.lrange(tkey("default", "active")) == []
    pause(d, "default", "resume")
    target.wait_count(1, path="/b")
    reqs = [q.path for q in target.requests() if q.path in ("/a", "/b")]
    assert reqs == ["/a", "/b"]


def test_pause_survives_restart(start_daemon, target, r):
    d = start_daemon()
    pause(d, "critical")
    d.sigterm()
    assert d.wait_exit() == 0
    d2 = start_daemon()
    assert d2.request("GET", "/v1/queues/critical").json["state"] == "paused"
    d2.enqueue(target.url("/c"), queue="critical")
    settle(d2, target, "m")
    assert target.count("/c") == 0
    pause(d2, "critical", "resume")
    target.wait_count(1, path="/c")


def test_pause_enqueue_and_scheduled_still_work(start_daemon, target, r):
    d = start_daemon()
    pause(d, "default")
    tid = d.enqueue(target.url("/s"), delay=0.3).json["task_id"]
    # The scheduler still promotes it to pending.
    wait_state(r, "default", tid, "pending")
    settle(d, target, "m")
    assert target.count("/s") == 0
    pause(d, "default", "resume")
    target.wait_count(1, path="/s")


def test_pause_unknown_queue(start_daemon):
    d = start_daemon({"workers.count": 0})
    assert_error_shape(d.request("POST", "/v1/queues/zzz:pause", b""), 404,
                       "NOT_FOUND")
    assert_error_shape(d.request("POST", "/v1/queues/zzz:resume", b""),
                       404, "NOT_FOUND")
