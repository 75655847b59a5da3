"""Leases: a task held by a dead worker comes back; a live one is never
dispatched twice at once, even across two daemons on one Redis."""

import os
import signal
import time

from tdlib import tkey, wait_for, wait_state, where


def pause(d, queue, action="pause"):
    resp = d.request("POST", f"/v1/queues/{queue}:{action}", b"")
    assert resp.status == 200, resp


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


def evalsha_calls(r):
    for line in r.execute("INFO", "commandstats").decode().splitlines():
        if line.startswith("cmdstat_evalsha:"):
            return int(line.split("calls=", 1)[1].split(",", 1)[0])
    return 0


def test_extensions_batched_per_queue(start_daemon, target, r):
    """Many tasks in flight: one worker extends the leases of a queue in
    one script call, not one per task, and each task whose lease it lost
    (deleted from under it, or re-tokened) is stopped alone."""
    n = 60
    d = start_daemon({"workers.count": 1, "workers.concurrency": n,
                      "workers.lease": "3s", "dispatch.timeout": "60s"})
    pause(d, "default")
    ids = []
    for i in range(n):
        target.plan_hang(f"/x{i}", gate="x")
        ids.append(d.enqueue(target.url(f"/x{i}")).json["task_id"])
    pause(d, "default", "resume")
    target.wait_count(n, timeout=30)
    lease = tkey("default", "lease")
    wait_for(lambda: r.execute("ZCARD", lease) == n, 10,
             msg="every task leased")
    r.execute("CONFIG", "RESETSTAT")
    first = {tid: r.zscore(lease, tid) for tid in ids}
    # A round: every lease moved on.  Per task that is n calls; batched
    # per queue it is a few (claims of a few batches, the scheduler's own
    # calls meanwhile).
    wait_for(lambda: all((r.zscore(lease, t) or 0) > first[t]
                         for t in ids), 10, msg="every lease extended")
    calls = evalsha_calls(r)
    assert calls <= n // 6, f"{calls} script calls for {n} extensions"
    # Lose two leases: one to another token, one with its task deleted.
    # Only those two are abandoned at the next round; the rest run on.
    lost = ids[:2]
    r.execute("HSET", tkey("default", "t:" + lost[0]), "token", "other")
    r.execute("DEL", tkey("default", "t:" + lost[1]))
    wait_for(lambda: d.log().count("lease lost") >= 2, 10,
             msg="both lost leases noticed")
    assert d.log().count("lease lost") == 2, d.log_tail()
    for tid in lost:
        assert f"task={tid}" in "".join(
            ln for ln in d.log().splitlines() if "lease lost" in ln)
    target.release("x")
    for tid in ids[2:]:
        wait_state(r, "default", tid, "done", timeout=30)
    assert r.execute("ZCARD", tkey("default", "done")) == n - 2
