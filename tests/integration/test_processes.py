"""The process tree: titles, respawn of each role, and no orphans when the
master dies."""

import os
import signal
import time

from tdlib import alive, tkey, wait_for, wait_state


def test_titles(start_daemon):
    d = start_daemon({"workers.count": 3})
    assert d.title().startswith("taskdispatcher: master"), d.title()
    kids = d.wait_children(3)
    for c in kids:
        if c.role == "worker":
            assert c.title.startswith(f"taskdispatcher: worker {c.index}")


def test_workers_zero(start_daemon, target, r):
    d = start_daemon({"workers.count": 0})
    d.wait_children(0)
    resp = d.enqueue(target.url("/idle"))
    assert resp.status == 200, resp
    tid = resp.json["task_id"]
    time.sleep(0.5)     # the point: nothing may happen
    assert target.count() == 0
    assert r.lrange(tkey("default", "pending")) == [tid]
    assert d.pids("worker") == []


def test_kill_listener(start_daemon):
    d = start_daemon({"workers.count": 1})
    old = d.pids("listener")
    assert len(old) == 1
    os.kill(old[0], signal.SIGKILL)
    wait_for(lambda: (lambda p: len(p) == 1 and p != old)(
        d.pids("listener")), 10, msg="a new listener")
    wait_for(lambda: d.health() == 200, 10, msg="/health 200 again")


def test_kill_scheduler(start_daemon, target, r):
    d = start_daemon({"workers.count": 1})
    d.wait_children(1)
    old = d.pids("scheduler")
    before = d.enqueue(target.url("/before"), delay=1).json["task_id"]
    os.kill(old[0], signal.SIGKILL)
    wait_for(lambda: (lambda p: len(p) == 1 and p != old)(
        d.pids("scheduler")), 10, msg="a new scheduler")
    after = d.enqueue(target.url("/after"), delay=0.3).json["task_id"]
    target.wait_count(1, path="/before", timeout=15)
    target.wait_count(1, path="/after", timeout=15)
    wait_state(r, "default", before, "done")
    wait_state(r, "default", after, "done")


def test_kill_worker(start_daemon, target, r):
    d = start_daemon({"workers.count": 2})
    d.wait_children(2)
    old = d.worker_pids()
    os.kill(old[1], signal.SIGKILL)
    new = wait_for(lambda: (lambda w: w if len(w) == 2 and 1 in w
                            and w[1] != old[1] else None)(d.worker_pids()),
                   10, msg="worker 1 respawned")
    assert new[2] == old[2]
    # The respawned worker works: kill the other and dispatch.
    os.kill(old[2], signal.SIGKILL)
    tid = d.enqueue(target.url("/w")).json["task_id"]
    target.wait_count(1, path="/w", timeout=15)
    wait_state(r, "default", tid, "done")
    assert str(old[1]) in d.log(), "the master should log the death"


def test_kill_master_children_exit(start_daemon):
    d = start_daemon({"workers.count": 2})
    kids = [c.pid for c in d.wait_children(2)]
    d.signal(signal.SIGKILL)
    d.wait_exit(5)
    wait_for(lambda: not any(alive(p) for p in kids), 5,
             msg=f"children {kids} to exit after the master died")
