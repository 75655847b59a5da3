"""Tasks survive a Redis crash (AOF with fsync always) and a daemon swap."""

import pytest

from tdlib import tkey, wait_state


@pytest.mark.redis_args("--appendfsync", "always")
def test_survives_redis_kill(start_daemon, redis, target, r):
    d1 = start_daemon({"workers.count": 0}, name="api")
    now = [d1.enqueue(target.url(f"/now/{i}"), queue=q).json["task_id"]
           for i, q in enumerate(("critical", "default", "low", "default"))]
    later = [d1.enqueue(target.url(f"/later/{i}"), delay=2).json["task_id"]
             for i in range(3)]
    assert len(r.lrange(tkey("default", "pending"))) == 2
    d1.stop()
    redis.kill()
    redis.start()
    assert len(r.lrange(tkey("default", "pending"))) == 2
    assert len(r.lrange(tkey("critical", "pending"))) == 1
    assert len(r.zmembers(tkey("default", "scheduled"))) + \
        len(r.lrange(tkey("default", "pending"))) == 5

    start_daemon({"workers.count": 2}, name="workers")
    target.wait_count(7, timeout=20)
    for tid, q in zip(now, ("critical", "default", "low", "default")):
        wait_state(r, q, tid, "done")
    for tid in later:
        wait_state(r, "default", tid, "done")
    assert sorted(q.path for q in target.requests()) == sorted(
        [f"/now/{i}" for i in range(4)] + [f"/later/{i}" for i in range(3)])
