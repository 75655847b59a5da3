"""Batched claims and results: a worker with many slots leases what it
has room for in one claim call and records what finished together in one
call per queue, with every task delivered once, the stats counting each
dispatch once, the history of each task complete, and a queue's
concurrency cap and pause still holding for a whole batch."""

import time

from tdlib import tkey, wait_for


def pause(d, queue, action="pause"):
    resp = d.request("POST", f"/v1/queues/{queue}:{action}", b"")
    assert resp.status == 200, resp


def calls(r):
    """calls per command since the last CONFIG RESETSTAT."""
    out = {}
    for line in r.execute("INFO", "commandstats").decode().splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[8:].split(":", 1)
            out[name] = int(rest.split(",")[0].split("=")[1])
    return out


def done(r, queue="default"):
    return r.execute("ZCARD", tkey(queue, "done"))


def test_batch_drain_once_each_and_counted(start_daemon, target, r):
    n = 200
    d = start_daemon({"workers.count": 1, "workers.concurrency": 50})
    pause(d, "default")
    ids = [d.enqueue(target.url(f"/b{i}")).json["task_id"]
           for i in range(n)]
    # Every task hangs at the target until released, so the 50 slots
    # fill before any result comes back: what fills them is claims alone.
    for i in range(n):
        target.plan_hang(f"/b{i}", gate="batch")
    r.execute("CONFIG", "RESETSTAT")
    pause(d, "default", "resume")
    target.wait_count(50, timeout=30)
    # A claim that takes tasks moves them to active with one LPUSH: one
    # task a claim would be 50 of them; a claim that takes what there is
    # room for fills the 50 slots in one or a few.
    c = calls(r)
    assert 0 < c.get("lpush", 0) <= 5, sorted(c.items())
    time.sleep(0.3)
    assert target.count() == 50, "no more in flight than the slots"
    target.release("batch")
    target.wait_count(n, timeout=30)
    wait_for(lambda: done(r) == n, 30, msg="every result recorded")
    got = sorted(q.path for q in target.requests() if q.path[:2] == "/b")
    assert got == sorted(f"/b{i}" for i in range(n))
    # Each dispatch counted once (a connection the busy target dropped
    # may add a failed one, which is then retried).
    st = r.hgetall(tkey("default", "stats"))
    assert st["succeeded"] == str(n)
    failed = int(st.get("failed", "0"))
    assert int(st["dispatched"]) == n + failed
    assert int(st["dur_count"]) == n + failed
    assert sum(int(v) for f, v in st.items()
               if f.startswith("d:")) == n + failed
    for tid in ids:
        h = r.hgetall(tkey("default", "t:" + tid))
        att = h["attempts"]
        assert h["state"] == "done" and h["hn"] == att
        assert '"status":200' in h["a:" + att]
        assert h.get("token", "") == ""
    assert r.execute("ZCARD", tkey("default", "lease")) == 0
    assert r.execute("LLEN", tkey("default", "active")) == 0


def test_batch_failures_retry_each(start_daemon, target, r):
    n = 30
    d = start_daemon({"workers.count": 1, "workers.concurrency": 20})
    for i in range(n):
        target.plan_fail(f"/f{i}", 1, status=503)
    pause(d, "default")
    for i in range(n):
        d.enqueue(target.url(f"/f{i}"))
    pause(d, "default", "resume")
    wait_for(lambda: done(r) == n, 60, msg="every task done after a retry")
    for i in range(n):
        assert target.count(f"/f{i}") == 2
    st = r.hgetall(tkey("default", "stats"))
    assert st["dispatched"] == str(2 * n) and st["failed"] == str(n)
    assert st["retried"] == str(n) and st["succeeded"] == str(n)


def test_batch_respects_concurrency_cap(start_daemon, target, r):
    """maxconc 3: a worker with 20 free slots takes at most 3."""
    d = start_daemon({"workers.count": 1, "workers.concurrency": 20})
    pause(d, "default")
    r.execute("HSET", tkey("default", "conf"), "maxconc", "3")
    for i in range(12):
        target.plan_delay(f"/c{i}", 0.3)
        d.enqueue(target.url(f"/c{i}"))
    peak = [0]

    def watch():
        peak[0] = max(peak[0], r.execute("LLEN", tkey("default", "active")))
        return done(r) == 12

    pause(d, "default", "resume")
    wait_for(watch, 30, interval=0.01, msg="all done under the cap")
    assert 1 <= peak[0] <= 3
