"""Dispatch as Cloud Tasks does it: the X-CloudTasks-* headers and
User-Agent on every request, Retry-After on a 429 or 503, the retryConfig
schedule and stop rule of a queue whose conf hash carries one, and the
queue's rate and concurrency limits (claim and lease answer THROTTLED).

The queue settings are written straight into the conf hash
(td:{queue}:conf), as CreateQueue and UpdateQueue do."""

import json
import re
import time

from tdlib import task_key, tkey, wait_for, wait_state

CT_NAMES = ("x-cloudtasks-queuename", "x-cloudtasks-taskname",
            "x-cloudtasks-taskretrycount", "x-cloudtasks-taskexecutioncount",
            "x-cloudtasks-tasketa")
ETA_RE = re.compile(r"^\d+\.\d{6}$")


def set_conf(r, queue, **fields):
    args = []
    for k, v in fields.items():
        args += [k, str(v)]
    r.execute("HSET", tkey(queue, "conf"), *args)


def ct_headers(req):
    return {k.lower(): v for k, v in req.headers
            if k.lower().startswith("x-cloudtasks-")}


def gaps(reqs):
    return [b.t - a.t for a, b in zip(reqs, reqs[1:])]


def test_headers_first_attempt_and_retry(start_daemon, target, r):
    d = start_daemon({"dispatch.min_backoff": "100ms"})
    target.plan("/h", [{"status": 503}, {"status": 404}, {"status": 200}])
    resp = d.enqueue(target.url("/h"), method="POST", body="x", headers={
        "User-Agent": "mine/1.0",
        "X-CloudTasks-TaskName": "forged",
        "x-cloudtasks-queuename": "forged",
        "X-Custom": "kept"})
    assert resp.status in (200, 201, 202), resp
    tid = resp.json["task_id"]
    reqs = target.wait_count(3, path="/h", timeout=15)
    wait_state(r, "default", tid, "done")
    first, second, third = reqs[:3]

    for q in reqs[:3]:
        names = q.header_names()
        assert names.count("user-agent") == 1, q.headers
        assert q.header("User-Agent") == "Google-Cloud-Tasks"
        assert q.header("X-Custom") == "kept"
        # Cloud Tasks adds no Content-Type.
        assert "content-type" not in names, q.headers
        h = ct_headers(q)
        assert h["x-cloudtasks-queuename"] == "default", h
        assert h["x-cloudtasks-taskname"] == tid, h
        assert ETA_RE.match(h["x-cloudtasks-tasketa"]), h
        for name in CT_NAMES:
            assert names.count(name) == 1, (name, q.headers)

    h1, h2, h3 = ct_headers(first), ct_headers(second), ct_headers(third)
    assert h1["x-cloudtasks-taskretrycount"] == "0", h1
    assert h1["x-cloudtasks-taskexecutioncount"] == "0", h1
    assert "x-cloudtasks-taskpreviousresponse" not in h1, h1
    assert "x-cloudtasks-taskretryreason" not in h1, h1
    # The first ETA is the task's schedule time: about when it was made.
    eta1 = float(h1["x-cloudtasks-tasketa"])
    assert abs(eta1 - first.wall) < 5, (eta1, first.wall)

    # After a 503: one retry, no execution (a 5xx is not one).
    assert h2["x-cloudtasks-taskretrycount"] == "1", h2
    assert h2["x-cloudtasks-taskexecutioncount"] == "0", h2
    assert h2["x-cloudtasks-taskpreviousresponse"] == "503", h2
    assert h2["x-cloudtasks-taskretryreason"] == "HTTP 503", h2
    assert float(h2["x-cloudtasks-tasketa"]) >= eta1, (h1, h2)

    # After a 404: it counts as an execution.
    assert h3["x-cloudtasks-taskretrycount"] == "2", h3
    assert h3["x-cloudtasks-taskexecutioncount"] == "1", h3
    assert h3["x-cloudtasks-taskpreviousresponse"] == "404", h3
    assert h3["x-cloudtasks-taskretryreason"] == "HTTP 404", h3


def test_retry_reason_without_response(start_daemon, target, r):
    """A timeout leaves no status: PreviousResponse 0 and the error."""
    d = start_daemon({"dispatch.timeout": "1s",
                      "dispatch.min_backoff": "100ms"})
    target.plan("/t", [{"delay": 3}, {"status": 200}])
    tid = d.enqueue(target.url("/t")).json["task_id"]
    reqs = target.wait_count(2, path="/t", timeout=15)
    h = ct_headers(reqs[1])
    assert h["x-cloudtasks-taskretrycount"] == "1", h
    assert h["x-cloudtasks-taskpreviousresponse"] == "0", h
    assert "timeout" in h["x-cloudtasks-taskretryreason"], h
    wait_state(r, "default", tid, "done")


def test_retry_after_503(start_daemon, target, r):
    d = start_daemon({"dispatch.min_backoff": "100ms"})
    target.plan("/ra", [{"status": 503, "headers": [("Retry-After", "2")]},
                        {"status": 200}])
    tid = d.enqueue(target.url("/ra")).json["task_id"]
    reqs = target.wait_count(2, path="/ra", timeout=15)
    assert reqs[1].t - reqs[0].t >= 2.0 - 0.01, gaps(reqs)
    wait_state(r, "default", tid, "done")


def test_retry_after_429_http_date(start_daemon, target, r):
    d = start_daemon({"dispatch.min_backoff": "100ms"})
    # Whole seconds: 3 s ahead of now is at least 2 s ahead.
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                         time.gmtime(time.time() + 3))
    target.plan("/rd", [{"status": 429, "headers": [("Retry-After", when)]},
                        {"status": 200}])
    tid = d.enqueue(target.url("/rd")).json["task_id"]
    reqs = target.wait_count(2, path="/rd", timeout=15)
    assert reqs[1].t - reqs[0].t >= 1.9, gaps(reqs)
    wait_state(r, "default", tid, "done")


def test_retry_after_ignored_on_500(start_daemon, target, r):
    d = start_daemon({"dispatch.min_backoff": "100ms",
                      "dispatch.max_backoff": "200ms"})
    target.plan("/r5", [{"status": 500, "headers": [("Retry-After", "30")]},
                        {"status": 200}])
    tid = d.enqueue(target.url("/r5")).json["task_id"]
    reqs = target.wait_count(2, path="/r5", timeout=10)
    assert reqs[1].t - reqs[0].t < 5, gaps(reqs)
    wait_state(r, "default", tid, "done")


def test_retry_after_cannot_revive(start_daemon, target, r):
    """Out of attempts, a Retry-After does not bring the task back."""
    d = start_daemon()
    set_conf(r, "default", max_attempts=1, min_backoff_ms=100,
             max_backoff_ms=100, max_doublings=0, max_retry_ms=0)
    target.plan("/rv", [{"status": 503, "headers": [("Retry-After", "1")]}])
    tid = d.enqueue(target.url("/rv")).json["task_id"]
    h = wait_state(r, "default", tid, "dead", timeout=10)
    assert h["attempts"] == "1", h
    time.sleep(1.5)
    assert target.count("/rv") == 1


def eta_ms(req):
    sec, frac = req.header("X-CloudTasks-TaskETA").split(".")
    return int(sec) * 1000 + int(frac) // 1000


def test_ct_backoff_schedule(start_daemon, target, r):
    """min 200 ms, max 2 s, one doubling: 200, 400, then linear 800, 1200
    (doubling would give 1600); five attempts in all, where [dispatch]
    (max_retries 3) would stop at four.  Exact: each retry's ETA (its
    scheduleTime, in its X-CloudTasks-TaskETA) minus the time the attempt
    before it failed (a:N in the task hash) is the delay, no jitter.  The
    arrivals only show it was kept, not early: an idle worker may be
    blocked on another queue for up to a second."""
    d = start_daemon()
    set_conf(r, "default", max_attempts=5, min_backoff_ms=200,
             max_backoff_ms=2000, max_doublings=1, max_retry_ms=0)
    target.plan_status("/ct", 500)
    tid = d.enqueue(target.url("/ct")).json["task_id"]
    reqs = target.wait_count(5, path="/ct", timeout=20)
    h = wait_state(r, "default", tid, "dead", timeout=10)
    assert h["attempts"] == "5", h
    failed = [json.loads(h[f"a:{n}"])["time"] for n in range(1, 5)]
    delays = [eta_ms(q) - t for q, t in zip(reqs[1:5], failed)]
    assert delays == [200, 400, 800, 1200], delays
    for got, want in zip(gaps(reqs[:5]), (0.2, 0.4, 0.8, 1.2)):
        assert got >= want - 0.01, gaps(reqs)
    time.sleep(2.5)
    assert target.count("/ct") == 5


def test_ct_max_attempts(start_daemon, target, r):
    d = start_daemon()
    set_conf(r, "default", max_attempts=2, min_backoff_ms=100,
             max_backoff_ms=100, max_doublings=16, max_retry_ms=0)
    target.plan_status("/ma", 503)
    tid = d.enqueue(target.url("/ma")).json["task_id"]
    h = wait_state(r, "default", tid, "dead", timeout=10)
    assert h["attempts"] == "2", h
    time.sleep(1)
    assert target.count("/ma") == 2


def test_ct_max_retry_duration_and_attempts(start_daemon, target, r):
    """max_attempts 2 is used up after the second attempt, but the task
    goes on until 1.5 s have passed since the first one as well."""
    d = start_daemon()
    set_conf(r, "default", max_attempts=2, min_backoff_ms=200,
             max_backoff_ms=200, max_doublings=0, max_retry_ms=1500)
    target.plan_status("/dur", 500)
    tid = d.enqueue(target.url("/dur")).json["task_id"]
    h = wait_state(r, "default", tid, "dead", timeout=15)
    reqs = target.requests("/dur")
    assert len(reqs) >= 5, gaps(reqs)
    assert reqs[-1].t - reqs[0].t >= 1.5 - 0.1, gaps(reqs)
    # Not long past it: the attempt before the last was still inside.
    assert reqs[-2].t - reqs[0].t < 1.5 + 0.1, gaps(reqs)
    assert int(h["attempts"]) == len(reqs), h


def test_ct_unlimited_attempts(start_daemon, target, r):
    """max_attempts -1: more attempts than [dispatch] max_retries allows."""
    d = start_daemon({"dispatch.max_retries": 1})
    set_conf(r, "default", max_attempts=-1, min_backoff_ms=50,
             max_backoff_ms=50, max_doublings=0, max_retry_ms=0)
    target.plan("/un", [{"status": 500}] * 5 + [{"status": 200}])
    tid = d.enqueue(target.url("/un")).json["task_id"]
    h = wait_state(r, "default", tid, "done", timeout=15)
    assert h["attempts"] == "6", h


def test_throttled_rate(start_daemon, target, r):
    d = start_daemon({"workers.count": 2, "workers.concurrency": 4})
    # All 30 wait in pending first: an idle worker blocked on another
    # queue would otherwise see the later ones up to a second late.
    set_conf(r, "default", rate=5, burst=1, paused=1)
    target.plan_status("/rate", 200)
    for _ in range(30):
        assert d.enqueue(target.url("/rate")).status in (200, 201, 202)
    r.execute("HDEL", tkey("default", "conf"), "paused")
    reqs = target.wait_count(30, path="/rate", timeout=20)
    span = reqs[29].t - reqs[0].t
    rate = 29 / span
    assert 4.5 <= rate <= 5.5, (rate, gaps(reqs))
    # The throttled queue never spins the workers: the daemon is alive
    # and the other queues still work.
    target.plan_status("/other", 200)
    d.enqueue(target.url("/other"), queue="critical")
    target.wait_count(1, path="/other", timeout=5)


def test_throttled_other_queue_unhindered(start_daemon, target, r):
    """A throttled queue does not hold up another one's tasks."""
    d = start_daemon({"workers.count": 1, "workers.concurrency": 2})
    set_conf(r, "default", rate=1, burst=1)
    target.plan_status("/slowq", 200)
    target.plan_status("/fastq", 200)
    for _ in range(5):
        d.enqueue(target.url("/slowq"))
    for _ in range(10):
        d.enqueue(target.url("/fastq"), queue="low")
    fast = target.wait_count(10, path="/fastq", timeout=5)
    slow = target.requests("/slowq")
    assert fast[-1].t - fast[0].t < 2, gaps(fast)
    assert len(slow) <= 3, gaps(slow)


def test_maxconc(start_daemon, target, r):
    d = start_daemon({"workers.count": 2, "workers.concurrency": 4})
    set_conf(r, "default", maxconc=2)
    target.plan_delay("/conc", 0.4)
    for _ in range(10):
        d.enqueue(target.url("/conc"))
    reqs = target.wait_count(10, path="/conc", timeout=20)
    wait_for(lambda: all(q.end is not None for q in target.requests("/conc")),
             10)
    reqs = target.requests("/conc")
    peak = 0
    for q in reqs:
        peak = max(peak, sum(1 for o in reqs if o.t <= q.t < o.end))
    assert peak == 2, [(round(q.t, 3), round(q.end, 3)) for q in reqs]


def test_dynamic_queue_served(start_daemon, target, r):
    """A queue that appears in td:queues at run time is claimed from."""
    d = start_daemon()
    r.execute("HSET", "td:{dyn-1}:conf", "created", "1")   # as CreateQueue
    r.execute("SADD", "td:queues", "dyn-1")

    def accepted():
        resp = d.enqueue(target.url("/dyn"), queue="dyn-1")
        return resp if resp.status in (200, 201, 202) else None
    tid = wait_for(accepted, 10, interval=0.2).json["task_id"]
    target.wait_count(1, path="/dyn", timeout=10)
    h = wait_state(r, "dyn-1", tid, "done")
    assert h["attempts"] == "1", h
    # Gone again: the workers forget it and keep serving the others.
    r.execute("SREM", "td:queues", "dyn-1")
    time.sleep(2)
    target.plan_status("/after", 200)
    d.enqueue(target.url("/after"))
    target.wait_count(1, path="/after", timeout=5)


def test_task_deadline_replaces_queue_timeout(start_daemon, target, r):
    """A task's own deadline (ms in its hash; dispatchDeadline over /v2)
    bounds its dispatch instead of [dispatch] timeout."""
    d = start_daemon({"dispatch.timeout": "10s",
                      "dispatch.min_backoff": "100ms"})
    target.plan("/dl", [{"hang": "dl", "max": 20}, {"status": 200}])
    tid = d.enqueue(target.url("/dl"), delay=1).json["task_id"]
    r.execute("HSET", task_key("default", tid), "deadline", "1000")
    reqs = target.wait_count(2, path="/dl", timeout=10)
    target.release("dl")
    assert 1.0 - 0.01 <= reqs[1].t - reqs[0].t < 5, gaps(reqs)
    reason = reqs[1].header("X-CloudTasks-TaskRetryReason")
    assert "1000 ms" in reason, reason
    wait_state(r, "default", tid, "done")


def test_named_task_long_id(start_daemon, target, r):
    """A 500-character task ID (a Cloud Tasks name) is claimed, on the
    idle path (BLMOVE) too, and sent whole in X-CloudTasks-TaskName."""
    d = start_daemon()
    tid = "n" * 250 + "_-" + "9" * 248
    assert len(tid) == 500
    name = f"projects/p/locations/l/queues/default/tasks/{tid}"
    # Let the workers go idle in BLMOVE first.
    time.sleep(1.5)
    resp = d.request("POST", "/v2/projects/p/locations/l/queues/default"
                     "/tasks", json.dumps({"task": {
                         "name": name,
                         "httpRequest": {"url": target.url("/long")}}}
                     ).encode())
    assert resp.status == 200, resp
    reqs = target.wait_count(1, path="/long", timeout=10)
    assert reqs[0].header("X-CloudTasks-TaskName") == tid
    wait_for(lambda: r.hgetall(task_key("default", tid)).get("state")
             in (None, "done"), 10)
    assert "not a task id" not in d.log()
