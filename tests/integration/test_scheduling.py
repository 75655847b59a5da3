"""Delayed tasks and the weighted order of queues."""

import collections
import time

from tdlib import task_key, tkey, wait_state, where


def test_delayed_not_early(start_daemon, target, r):
    d = start_daemon()
    t0 = time.monotonic()
    resp = d.enqueue(target.url("/later"), delay=1.5)
    assert resp.status == 200, resp
    tid = resp.json["task_id"]
    h = r.hgetall(task_key("default", tid))
    assert h["state"] == "scheduled", h
    assert int(h["eta"]) - int(h["created"]) == 1500, h
    assert r.zscore(tkey("default", "scheduled"), tid) == float(h["eta"])
    # An immediate task enqueued after it overtakes it.
    d.enqueue(target.url("/now"))
    reqs = target.wait_count(2, timeout=10)
    assert [q.path for q in reqs] == ["/now", "/later"]
    late = reqs[1]
    assert late.t - t0 >= 1.5 - 0.002, late.t - t0
    assert late.wall * 1000 >= int(h["eta"]) - 2
    assert late.t - t0 <= 10
    wait_state(r, "default", tid, "done")


def test_priorities_weighted(start_daemon, target, r):
    n = 120
    d = start_daemon({"workers.count": 1, "workers.lease": "5s"})
    # The only worker is held by a hanging task while the queues fill up.
    target.plan_hang("/block", gate="block")
    assert d.enqueue(target.url("/block")).status == 200
    target.wait_count(1, path="/block")
    for i in range(n):
        for q in ("critical", "default", "low"):
            resp = d.enqueue(target.url(f"/p/{q}/{i}"), queue=q)
            assert resp.status == 200, resp
    for q in ("critical", "default", "low"):
        assert len(r.lrange(tkey(q, "pending"))) == n
    target.release("block")

    reqs = target.wait_count(3 * n + 1, timeout=60)
    order = [q.path.split("/")[2] for q in reqs if q.path.startswith("/p/")]
    first = collections.Counter(order[:n])
    # Weights 6:3:1 -> 72:36:12 expected; the bounds are ~3 sigma.
    assert 56 <= first["critical"] <= 88, first
    assert first["default"] >= 18, first
    assert first["low"] >= 3, first
    # Not starved: everything arrives, each task once, FIFO per queue.
    assert len(order) == 3 * n
    for q in ("critical", "default", "low"):
        idx = [int(x.path.split("/")[3]) for x in reqs
               if x.path.startswith(f"/p/{q}/")]
        assert idx == list(range(n)), (q, idx[:20])


def test_custom_queue_weights(start_daemon, target, r):
    # A [queue.NAME] section defines a new queue the API accepts.
    d = start_daemon({"queue.bulk.weight": 2})
    resp = d.enqueue(target.url("/bulk"), queue="bulk")
    assert resp.status == 200, resp
    tid = resp.json["task_id"]
    target.wait_count(1, path="/bulk")
    wait_state(r, "bulk", tid, "done")
    assert where(r, "bulk", tid) == ["done"]


def test_worker_concurrency(start_daemon, target, r):
    d = start_daemon({"workers.count": 1, "workers.concurrency": 3})
    for i in range(3):
        target.plan_hang(f"/c/{i}", gate="c")
    ids = [d.enqueue(target.url(f"/c/{i}")).json["task_id"]
           for i in range(3)]
    # One worker process holds three dispatches at once.
    target.wait_count(3, timeout=10)
    assert len({q.client for q in target.requests()}) == 3
    target.release("c")
    for tid in ids:
        wait_state(r, "default", tid, "done")
