"""Retries: any non-2xx, a refused connection and a timeout are retried
with growing backoff; after max_retries the task is dead."""

from tdlib import closed_port, task_key, tkey, wait_state, where


def test_retry_500_then_ok(start_daemon, target, r):
    d = start_daemon()
    target.plan_fail("/flaky", 2, status=500)
    tid = d.enqueue(target.url("/flaky")).json["task_id"]
    reqs = target.wait_count(3, path="/flaky")
    h = wait_state(r, "default", tid, "done")
    assert h["attempts"] == "3", h
    assert h["last_status"] == "200", h
    assert where(r, "default", tid) == ["done"]
    # Every attempt is the same request.
    assert len({(q.method, q.path, q.body) for q in reqs}) == 1
    assert target.count("/flaky") == 3


def test_retry_on_404(start_daemon, target, r):
    d = start_daemon()
    target.plan_fail("/missing", 1, status=404)
    tid = d.enqueue(target.url("/missing")).json["task_id"]
    target.wait_count(2, path="/missing")
    h = wait_state(r, "default", tid, "done")
    assert h["attempts"] == "2", h


def test_retry_connection_refused_then_dead(start_daemon, r):
    d = start_daemon({"dispatch.max_retries": 2})
    url = f"http://127.0.0.1:{closed_port()}/refused"
    tid = d.enqueue(url).json["task_id"]
    h = wait_state(r, "default", tid, "dead", timeout=15)
    # max_retries counts retries after the first attempt.
    assert h["attempts"] == "3", h
    assert h["last_status"] == "0", h
    assert h["last_error"], h
    assert int(h.get("finished") or 0) > 0, h
    assert where(r, "default", tid) == ["dead"]
    assert r.zscore(tkey("default", "dead"), tid) is not None


def test_retry_on_timeout(start_daemon, target, r):
    d = start_daemon({"dispatch.timeout": "1s"})
    target.plan_hang("/slow", gate="slow")
    tid = d.enqueue(target.url("/slow")).json["task_id"]
    reqs = target.wait_count(2, path="/slow", timeout=15)
    # The retry came after the 1 s timeout, not before.
    assert reqs[1].t - reqs[0].t >= 1.0 - 0.01
    h = wait_state(r, "default", tid, "done")
    assert h["attempts"] == "2", h


def test_dead_after_max_retries(start_daemon, target, r):
    d = start_daemon({"dispatch.max_retries": 2})
    target.plan_status("/always503", 503)
    tid = d.enqueue(target.url("/always503"), queue="low").json["task_id"]
    h = wait_state(r, "low", tid, "dead", timeout=15)
    assert h["attempts"] == "3", h
    assert h["last_status"] == "503", h
    assert h["last_error"], h
    assert where(r, "low", tid) == ["dead"]
    assert target.count("/always503") == 3
    # The task is kept whole for inspection.
    assert r.hget_raw(task_key("low", tid), "url") is not None


def test_backoff_grows(start_daemon, target, r):
    mn = 0.2
    d = start_daemon({"dispatch.min_backoff": "200ms",
                      "dispatch.max_backoff": "10s",
                      "dispatch.max_retries": 3})
    target.plan_status("/grow", 500)
    tid = d.enqueue(target.url("/grow")).json["task_id"]
    reqs = target.wait_count(4, path="/grow", timeout=20)
    gaps = [b.t - a.t for a, b in zip(reqs, reqs[1:])]
    # Retry n waits at least half of min * 2^(n-1) (equal jitter).
    for n, gap in enumerate(gaps, 1):
        assert gap >= mn * 2 ** (n - 1) / 2 - 0.005, (n, gaps)
    # The third wait's floor is above the first wait's ceiling: it grew.
    assert gaps[2] > mn, gaps
    wait_state(r, "default", tid, "dead")


def test_queue_overrides_dispatch(start_daemon, target, r):
    # [queue.low] max_retries = 0 overrides [dispatch] max_retries = 3.
    d = start_daemon({"queue.low.weight": 1, "queue.low.max_retries": 0})
    target.plan_status("/low", 500)
    target.plan_fail("/default", 1, status=500)
    low = d.enqueue(target.url("/low"), queue="low").json["task_id"]
    dflt = d.enqueue(target.url("/default")).json["task_id"]
    h = wait_state(r, "low", low, "dead")
    assert h["attempts"] == "1", h
    h = wait_state(r, "default", dflt, "done")
    assert h["attempts"] == "2", h
    assert target.count("/low") == 1


def test_status_classes(start_daemon, target, r):
    """Any 2xx is success; a redirect is not followed and is retried."""
    d = start_daemon()
    target.plan("/s204", [{"status": 204, "body": b""}])
    target.plan("/s201", [{"status": 201}])
    target.plan("/s302", [{"status": 302, "headers": [
        ("Location", target.url("/elsewhere"))]}, {"status": 200}])
    ids = {p: d.enqueue(target.url(p)).json["task_id"]
           for p in ("/s204", "/s201", "/s302")}
    assert wait_state(r, "default", ids["/s204"], "done")["attempts"] == "1"
    assert wait_state(r, "default", ids["/s201"], "done")["attempts"] == "1"
    h = wait_state(r, "default", ids["/s302"], "done")
    assert h["attempts"] == "2", h
    assert target.count("/elsewhere") == 0
