"""Leases: a task held by a dead worker comes back; a live one is never
dispatched twice at once, even across two daemons on one Redis."""

import os
import signal
import time

from tdlib import tkey, wait_for, wait_state, where


def test_killed_worker_task_redelivered(start_daemon, target, r):
    d = start_daemon({"workers.count": 1, "workers.lease": "2s"})
    target.plan_hang("/job", gate="job")
    tid = d.enqueue(target.url("/job")).json["task_id"]
    target.wait_count(1, path="/job")
    lease = wait_for(lambda: r.zscore(tkey("default", "lease"), tid), 5,
                     msg="the task to be leased")
    assert "active" in where(r, "default", tid)
    for pid in d.pids("worker"):
        os.kill(pid, signal.SIGKILL)
    reqs = target.wait_count(2, path="/job", timeout=20)
    # Not handed to anyone while the dead worker's lease still held.
    assert reqs[1].wall * 1000 >= lease - 10, (reqs[1].wall, lease)
    h = wait_state(r, "default", tid, "done")
    assert h["attempts"] == "2", h
    assert where(r, "default", tid) == ["done"]


def test_long_dispatch_not_duplicated(start_daemon, target, r):
    d = start_daemon({"workers.count": 2, "workers.lease": "2s",
                      "dispatch.timeout": "20s"})
    target.plan_delay("/long", 5)
    tid = d.enqueue(target.url("/long")).json["task_id"]
    h = wait_state(r, "default", tid, "done", timeout=20)
    assert target.count("/long") == 1, target.requests()
    assert h["attempts"] == "1", h


def test_two_daemons_no_overlap(start_daemon, target, r):
    conf = {"workers.count": 2, "workers.lease": "2s",
            "dispatch.min_backoff": "50ms", "dispatch.max_backoff": "200ms"}
    d1 = start_daemon(conf)
    d2 = start_daemon(conf)
    n = 24
    ids = []
    for i in range(n):
        # Each task fails once, then succeeds; both answers are slow.
        target.plan(f"/t/{i}", [{"status": 500, "delay": 0.15},
                                {"status": 200, "delay": 0.15}])
        d = (d1, d2)[i % 2]
        ids.append(d.enqueue(target.url(f"/t/{i}")).json["task_id"])
    def overlaps():
        bad = []
        for i in range(n):
            reqs = sorted(target.requests(f"/t/{i}"), key=lambda q: q.t)
            for a, b in zip(reqs, reqs[1:]):
                if a.end is None or b.t < a.end:
                    bad.append((i, a, b))
        return bad

    t0 = time.monotonic()
    try:
        for tid in ids:
            wait_state(r, "default", tid, "done",
                       timeout=max(1, 40 - (time.monotonic() - t0)))
    finally:
        # Report a double dispatch first: it explains a timeout too.
        assert overlaps() == [], "dispatches of one task overlapped"
    for i in range(n):
        reqs = target.requests(f"/t/{i}")
        assert len(reqs) == 2, (i, reqs)
    assert overlaps() == []
