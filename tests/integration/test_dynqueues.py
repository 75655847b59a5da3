"""Queues created over the API: the set P:queues in Redis.  Every process
(listener, workers, scheduler) picks up a new member, and lets go of one
removed, within about a second (qsync); the queues of the configuration
file stay whatever the set says."""

import re

from tdlib import (PREFIX, QUEUES, assert_error_shape, task_key, tkey,
                   wait_for, wait_state)

SET = f"{PREFIX}:queues"


def add_queues(r, *names):
    """What CreateQueue does (qcreate.lua): the name into td:queues and
    "created" into the queue's conf, which enqueue asks for."""
    for n in names:
        r.execute("HSET", f"{PREFIX}:{{{n}}}:conf", "created", "1")
    r.execute("SADD", SET, *names)


# qsync asks every second; twice that, and some slack for a busy host.
SYNC_S = 3.0


def accepted(d, target, queue, path="/dyn", delay=None):
    """Enqueue to queue until it is taken; return the task ID."""
    def ok():
        resp = d.enqueue(target.url(path), queue=queue, delay=delay)
        if resp.status == 200:
            return resp.json["task_id"]
        assert assert_error_shape(resp, 400, "INVALID_ARGUMENT") == \
            f"queue: unknown queue '{queue}'", resp.json
        return None
    return wait_for(ok, SYNC_S, interval=0.05,
                    msg=f"an enqueue to {queue} to be accepted")


def refused(d, target, queue):
    def no():
        resp = d.enqueue(target.url("/refused"), queue=queue)
        if resp.status == 400:
            return resp
        assert resp.status == 200, resp
        return None
    return wait_for(no, SYNC_S, interval=0.05,
                    msg=f"an enqueue to {queue} to be refused")


def test_api_queue_dispatched(start_daemon, target, r):
    d = start_daemon({"workers.count": 2})
    assert d.enqueue(target.url("/x"), queue="extra").status == 400
    add_queues(r, "extra")
    tid = accepted(d, target, "extra")
    # A worker picked the queue up too: the task is dispatched.
    req = target.wait_count(1, path="/dyn", timeout=10)[0]
    assert req.header("X-CloudTasks-QueueName") in (None, "extra")
    h = wait_state(r, "extra", tid, "done")
    # The queue is the key's {extra}: the hash does not repeat it.
    assert "queue" not in h, h
    assert r.zscore(tkey("extra", "done"), tid) is not None


def test_api_queue_delayed_promoted(start_daemon, target, r):
    """No worker: the task can only reach pending through the
    scheduler's promote of the new queue."""
    d = start_daemon({"workers.count": 0})
    add_queues(r, "later")
    tid = accepted(d, target, "later", delay=1)
    h = r.hgetall(task_key("later", tid))
    assert h["state"] == "scheduled", h
    h = wait_state(r, "later", tid, "pending", timeout=10)
    assert r.lrange(tkey("later", "pending")) == [tid]
    assert r.zscore(tkey("later", "scheduled"), tid) is None


def test_api_queue_delayed_before_scheduler_knows(start_daemon, target, r):
    """Due at once, before the scheduler may have the queue: the wake it
    gets names a queue it does not know yet; its first promote of the
    queue, when it learns of it, moves the task all the same."""
    d = start_daemon({"workers.count": 0})
    add_queues(r, "soon")
    tid = accepted(d, target, "soon", delay=0.05)
    wait_state(r, "soon", tid, "pending", timeout=10)


def test_api_queue_removed(start_daemon, target, r):
    d = start_daemon({"workers.count": 1, "queue.bulk.weight": 2})
    # The file's bulk is in the set too (created there by hand).
    add_queues(r, "gone", "bulk")
    accepted(d, target, "gone")
    r.execute("SREM", SET, "gone", "bulk")
    resp = refused(d, target, "gone")
    assert assert_error_shape(resp, 400, "INVALID_ARGUMENT") == \
        "queue: unknown queue 'gone'", resp.json
    # The file's queues stay, bulk as well.
    for q in QUEUES + ("bulk",):
        resp = d.enqueue(target.url(f"/stay/{q}"), queue=q)
        assert resp.status == 200, (q, resp)
    want = sorted(f"/stay/{q}" for q in QUEUES + ("bulk",))
    wait_for(lambda: sorted(q.path for q in target.requests()
                            if q.path.startswith("/stay/")) == want, 10,
             msg="the file's queues to be dispatched")


def test_api_queue_back_again(start_daemon, target, r):
    d = start_daemon({"workers.count": 1})
    add_queues(r, "again")
    accepted(d, target, "again", path="/one")
    r.execute("DEL", SET)
    refused(d, target, "again")
    add_queues(r, "again")
    tid = accepted(d, target, "again", path="/two")
    wait_state(r, "again", tid, "done")
    target.wait_count(2, timeout=10)


def test_api_queue_bad_members_ignored(start_daemon, target, r):
    """A member that is no queue name is left out (and said so once); the
    good ones are served and the daemon carries on."""
    d = start_daemon({"workers.count": 1})
    add_queues(r, "bad name", "a.b", "x" * 64, "fine")
    tid = accepted(d, target, "fine")
    wait_state(r, "fine", tid, "done")
    for q in ("bad name", "a.b", "x" * 64):
        assert d.enqueue(target.url("/no"), queue=q).status == 400
    wait_for(lambda: re.search(r"queues: 3 of the set of API queues not "
                               r"served", d.log()), 5,
             msg="the warning about the bad members")
    assert d.health() == 200


def test_api_queue_survives_reload(start_daemon, target, r):
    """The new generation starts from the file's queues and takes the set
    in before its listener accepts."""
    d = start_daemon({"workers.count": 1})
    add_queues(r, "kept")
    accepted(d, target, "kept")
    old = set(d.worker_pids().values())
    d.sighup()
    wait_for(lambda: d.worker_pids() and
             not set(d.worker_pids().values()) & old, 15,
             msg="the new generation")
    resp = d.enqueue(target.url("/after"), queue="kept")
    assert resp.status == 200, resp
    wait_state(r, "kept", resp.json["task_id"], "done")


def test_api_queue_wrong_type(start_daemon, target, r):
    """P:queues of the wrong type: an error reply, logged, and the file's
    queues work on."""
    r.execute("SET", SET, "oops")
    d = start_daemon({"workers.count": 1})
    wait_for(lambda: "queues: WRONGTYPE" in d.log(), 5,
             msg="the error to be logged")
    resp = d.enqueue(target.url("/still"))
    assert resp.status == 200, resp
    wait_state(r, "default", resp.json["task_id"], "done")
