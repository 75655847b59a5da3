"""GET /metrics: Prometheus text format 0.0.4, the values after a known mix
of outcomes (parsed, not grepped)."""

import re

from tdlib import wait_for, wait_state

LINE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, frozenset(labels)): value}, with HELP/TYPE checked."""
    out, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            assert name not in types, f"TYPE twice: {name}"
            types[name] = typ
            continue
        if line.startswith("#") or not line:
            continue
        m = LINE_RE.match(line)
        assert m, f"bad sample line: {line!r}"
        labels = frozenset(LABEL_RE.findall(m.group(3) or ""))
        key = (m.group(1), labels)
        assert key not in out, f"duplicate sample {line!r}"
        out[key] = float(m.group(4))
    return out, types


def val(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


def scrape(d):
    resp = d.request("GET", "/metrics")
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == \
        "text/plain; version=0.0.4; charset=utf-8"
    return parse(resp.body.decode())


def test_metrics_after_known_mix(start_daemon, target, r):
    d = start_daemon({"dispatch.max_retries": 1})
    target.plan_fail("/flaky", 1, status=500)
    target.plan_status("/bad", 503)
    ok = [d.enqueue(target.url("/ok")).json["task_id"] for _ in range(2)]
    flaky = d.enqueue(target.url("/flaky")).json["task_id"]
    dead = d.enqueue(target.url("/bad"), queue="low").json["task_id"]
    d.enqueue(target.url("/later"), queue="critical", delay=3600)
    for tid in ok + [flaky]:
        wait_state(r, "default", tid, "done")
    wait_state(r, "low", dead, "dead")

    s, types = scrape(d)
    P = "taskdispatcher_"
    assert types[P + "tasks"] == "gauge"
    assert types[P + "dispatch_duration_seconds"] == "histogram"
    for c in ("enqueued", "dispatched", "succeeded", "failed", "retried",
              "dead"):
        assert types[P + c + "_total"] == "counter"

    want = {"default": dict(enqueued=3, dispatched=4, succeeded=3, failed=1,
                            retried=1, dead=0),
            "low": dict(enqueued=1, dispatched=2, succeeded=0, failed=2,
                        retried=1, dead=1),
            "critical": dict(enqueued=1, dispatched=0, succeeded=0,
                             failed=0, retried=0, dead=0)}
    for q, counters in want.items():
        for c, n in counters.items():
            assert val(s, f"{P}{c}_total", queue=q) == n, (q, c)
        count = val(s, P + "dispatch_duration_seconds_count", queue=q)
        assert count == counters["dispatched"], q
        assert val(s, P + "dispatch_duration_seconds_bucket", queue=q,
                   le="+Inf") == count
        les = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
               "2.5", "5", "10", "30", "60", "300", "1800", "+Inf"]
        buckets = [val(s, P + "dispatch_duration_seconds_bucket", queue=q,
                       le=le) for le in les]
        assert buckets == sorted(buckets), (q, buckets)
        assert val(s, P + "dispatch_duration_seconds_sum", queue=q) >= 0
        assert val(s, P + "queue_paused", queue=q) == 0
    assert val(s, P + "tasks", queue="default", state="done") == 3
    assert val(s, P + "tasks", queue="low", state="dead") == 1
    assert val(s, P + "tasks", queue="critical", state="scheduled") == 1
    assert val(s, P + "tasks", queue="default", state="pending") == 0
    assert val(s, P + "oldest_pending_age_seconds", queue="default") == 0
    for role in ("listener", "worker", "scheduler"):
        assert val(s, P + "restarts_total", role=role) == 0
        assert (P + "redis_errors_total",
                frozenset({("role", role)})) in s
    assert [k for k in s if k[0] == P + "build_info"][0] and \
        list(v for k, v in s.items() if k[0] == P + "build_info") == [1]
    assert val(s, P + "start_time_seconds") > 1.7e9


def test_metrics_paused_and_pending_age(start_daemon, target):
    d = start_daemon({"workers.count": 0})
    d.request("POST", "/v1/queues/low:pause", b"")
    d.enqueue("http://127.0.0.1:1/x")
    wait_for(lambda: val(scrape(d)[0],
                         "taskdispatcher_oldest_pending_age_seconds",
                         queue="default") > 0)
    s, _ = scrape(d)
    assert val(s, "taskdispatcher_queue_paused", queue="low") == 1
    assert val(s, "taskdispatcher_tasks", queue="default",
               state="pending") == 1


def test_metrics_head_and_405(start_daemon):
    d = start_daemon({"workers.count": 0})
    resp = d.request("HEAD", "/metrics")
    assert resp.status == 200 and resp.body == b""
    assert int(resp.header("Content-Length")) > 0
    resp = d.request("POST", "/metrics", b"x")
    assert resp.status == 405 and resp.header("Allow") == "GET, HEAD"


def test_metrics_counts_restarts(start_daemon, target):
    import os
    import signal
    d = start_daemon({"workers.count": 1})
    kids = d.wait_children(1)
    w = [k for k in kids if k.role == "worker"][0]
    os.kill(w.pid, signal.SIGKILL)
    wait_for(lambda: val(scrape(d)[0], "taskdispatcher_restarts_total",
                         role="worker") >= 1, timeout=15)
