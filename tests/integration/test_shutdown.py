"""SIGTERM: in-flight dispatches finish within shutdown_timeout, or are
handed back to pending uncounted; the master exits 0 either way."""

import signal

from tdlib import alive, task_key, tkey, where


def test_sigterm_finishes_inflight(start_daemon, target, r):
    d = start_daemon({"workers.count": 1, "workers.shutdown_timeout": "10s"})
    target.plan_delay("/slow", 2)
    tid = d.enqueue(target.url("/slow")).json["task_id"]
    target.wait_count(1, path="/slow")
    kids = [c.pid for c in d.wait_children(1)]
    d.sigterm()
    assert d.wait_exit(15) == 0
    req = target.requests("/slow")
    assert len(req) == 1 and req[0].end is not None
    h = r.hgetall(task_key("default", tid))
    assert h["state"] == "done", h
    assert h["attempts"] == "1", h
    assert where(r, "default", tid) == ["done"]
    assert not any(alive(p) for p in kids)


def test_sigterm_hands_back(start_daemon, target, r):
    d = start_daemon({"workers.count": 1, "workers.shutdown_timeout": "1s"})
    target.plan_hang("/hang", gate="hang")
    tid = d.enqueue(target.url("/hang")).json["task_id"]
    target.wait_count(1, path="/hang")
    d.sigterm()
    assert d.wait_exit(15) == 0
    h = r.hgetall(task_key("default", tid))
    assert h["state"] == "pending", h
    assert h["attempts"] == "0", h
    assert h.get("token", "") == "", h
    assert r.lrange(tkey("default", "pending")) == [tid]
    assert where(r, "default", tid) == ["pending"]


def test_sigint_stops(start_daemon):
    d = start_daemon({"workers.count": 1})
    d.signal(signal.SIGINT)
    assert d.wait_exit(15) == 0
