"""The operator API under /v1/: reading queues, stats and tasks, paging,
retrying and deleting by hand (one task, in bulk), purging; every error
case in the contract."""

import json
import re

from tdlib import (assert_error_shape, closed_port, task_key, tkey,
                   wait_for, wait_state, where)

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
STATES = ["pending", "scheduled", "active", "retry", "dead", "done"]
TOTALS = ["enqueued", "dispatched", "succeeded", "failed", "retried", "dead"]


def get(d, path):
    resp = d.request("GET", path)
    assert resp.status == 200, resp
    assert (resp.header("Content-Type") or "").startswith(
        "application/json"), resp.headers
    return resp.json


def post(d, path, body=None):
    return d.request("POST", path, body if body is not None else b"")


def check_queue_shape(q):
    assert set(q) >= {"name", "state", "weight", "counts",
                      "oldest_pending_age_ms", "totals",
                      "processed_per_minute", "failed_per_minute"}, q
    assert q["state"] in ("running", "paused")
    assert sorted(q["counts"]) == sorted(STATES)
    assert sorted(q["totals"]) == sorted(TOTALS)


def api_only(start_daemon):
    """A daemon that dispatches nothing: tasks stay where they are put."""
    return start_daemon({"workers.count": 0})


def test_queues_and_stats(start_daemon, target):
    d = start_daemon()
    for _ in range(3):
        d.enqueue(target.url("/ok"))
    d.enqueue(target.url("/later"), queue="low", delay=3600)
    target.wait_count(3, path="/ok")
    wait_for(lambda: get(d, "/v1/stats")["counts"]["done"] == 3)

    qs = get(d, "/v1/queues")["queues"]
    assert [q["name"] for q in qs] == ["critical", "default", "low"]
    for q in qs:
        check_queue_shape(q)
        assert q["state"] == "running"
    by = {q["name"]: q for q in qs}
    assert by["default"]["weight"] == 3
    assert by["default"]["counts"]["done"] == 3
    assert by["default"]["totals"]["enqueued"] == 3
    assert by["default"]["totals"]["dispatched"] == 3
    assert by["default"]["totals"]["succeeded"] == 3
    assert by["low"]["counts"]["scheduled"] == 1
    assert by["low"]["oldest_pending_age_ms"] == 0

    st = get(d, "/v1/stats")
    assert st["queues"] == 3
    assert st["counts"]["done"] == 3 and st["counts"]["scheduled"] == 1
    assert st["totals"]["enqueued"] == 4
    assert st["totals"]["succeeded"] == 3
    assert re.match(r"^\d+\.\d+", st["redis"]["version"]), st
    assert st["redis"]["used_memory"] > 0
    assert st["redis"]["aof_enabled"] is True
    assert isinstance(st["redis"]["maxmemory_policy"], str)


def test_queue_detail_minutes(start_daemon, target):
    d = start_daemon()
    d.enqueue(target.url("/ok"))
    target.wait_count(1)
    q = get(d, "/v1/queues/default")
    check_queue_shape(q)
    assert len(q["minutes"]) == 60
    times = [m["time"] for m in q["minutes"]]
    assert all(TIME_RE.match(t) and t.endswith(":00.000Z") for t in times)
    assert times == sorted(times)
    for m in q["minutes"]:
        assert m["processed"] >= m["failed"] >= 0


def test_oldest_pending_age(start_daemon, r):
    d = api_only(start_daemon)
    d.enqueue("http://127.0.0.1:1/x")
    wait_for(lambda: get(d, "/v1/queues/default")[
        "oldest_pending_age_ms"] > 0)
    q = get(d, "/v1/queues/default")
    assert q["counts"]["pending"] == 1


def test_unknown_queue_and_routes(start_daemon):
    d = api_only(start_daemon)
    for method, path in [("GET", "/v1/queues/nope"),
                         ("GET", "/v1/queues/nope/tasks"),
                         ("POST", "/v1/queues/nope:pause"),
                         ("POST", "/v1/queues/nope:purge"),
                         ("POST", "/v1/queues/nope/tasks:retry"),
                         ("GET", "/v1/queues/nope/tasks/"
                                 "0123456789abcdef0123456789abcdef")]:
        msg = assert_error_shape(d.request(method, path), 404, "NOT_FOUND")
        assert "nope" in msg, msg
    assert_error_shape(d.request("DELETE", "/v1/queues/default"), 405,
                       "UNIMPLEMENTED")
    assert_error_shape(d.request("GET", "/v1/queues/default:pause"), 405,
                       "UNIMPLEMENTED")
    assert_error_shape(d.request("GET", "/v1/queues/default:nope"), 404,
                       "NOT_FOUND")


def test_unknown_task(start_daemon):
    d = api_only(start_daemon)
    missing = "0123456789abcdef0123456789abcdef"
    for method, path in [("GET", f"/v1/tasks/{missing}"),
                         ("DELETE", f"/v1/tasks/{missing}"),
                         ("POST", f"/v1/tasks/{missing}:retry"),
                         ("GET", f"/v1/queues/default/tasks/{missing}"),
                         ("GET", "/v1/tasks/not-an-id")]:
        assert_error_shape(d.request(method, path), 404, "NOT_FOUND")


def test_list_bad_arguments(start_daemon):
    d = api_only(start_daemon)
    base = "/v1/queues/default/tasks"
    for q in ["?state=bogus", "?state=", "?page_size=0", "?page_size=1001",
              "?page_size=abc", "?page_size=", "?page_size=-1",
              "?page_token=x", "?state=dead&page_token=12",
              "?state=retry&page_token=1:no.pe"]:
        assert_error_shape(d.request("GET", base + q), 400,
                           "INVALID_ARGUMENT")
    assert get(d, base + "?page_size=1000")["tasks"] == []
    assert "next_page_token" not in get(d, base)


def test_list_pending_pages(start_daemon):
    d = api_only(start_daemon)
    ids = [d.enqueue(f"http://127.0.0.1:1/t{i}",
                     headers={"X-A": "1"}).json["task_id"]
           for i in range(7)]
    seen, token, pages = [], None, 0
    while True:
        path = "/v1/queues/default/tasks?page_size=3"
        if token:
            path += "&page_token=" + token
        page = get(d, path)
        pages += 1
        assert len(page["tasks"]) <= 3
        seen += [t["id"] for t in page["tasks"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert pages == 3
    # Pending: oldest first, the next to run first.
    assert seen == ids
    t = get(d, "/v1/queues/default/tasks?state=pending&page_size=1")[
        "tasks"][0]
    assert set(t) == {"id", "queue", "state", "url", "method", "attempts",
                      "created", "last_status", "last_error"}, t
    assert t["queue"] == "default" and t["state"] == "pending"
    assert t["method"] == "POST" and t["attempts"] == 0
    assert TIME_RE.match(t["created"])


def test_list_url_filter(start_daemon):
    d = api_only(start_daemon)
    want = [d.enqueue(f"http://127.0.0.1:1/match/{i}").json["task_id"]
            for i in range(3)]
    for i in range(4):
        d.enqueue(f"http://127.0.0.1:1/other/{i}")
    got, token = [], None
    while True:
        path = "/v1/queues/default/tasks?page_size=2&url=%2Fmatch%2F"
        if token:
            path += "&page_token=" + token
        page = get(d, path)
        got += [t["id"] for t in page["tasks"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert sorted(got) == sorted(want)


def test_list_scheduled_by_eta(start_daemon):
    d = api_only(start_daemon)
    late = d.enqueue("http://127.0.0.1:1/a", delay=7200).json["task_id"]
    early = d.enqueue("http://127.0.0.1:1/b", delay=3600).json["task_id"]
    mid = d.enqueue("http://127.0.0.1:1/c", delay=5000).json["task_id"]
    page = get(d, "/v1/queues/default/tasks?state=scheduled&page_size=2")
    assert [t["id"] for t in page["tasks"]] == [early, mid]
    assert all(TIME_RE.match(t["eta"]) for t in page["tasks"])
    page = get(d, "/v1/queues/default/tasks?state=scheduled&page_size=2"
               "&page_token=" + page["next_page_token"])
    assert [t["id"] for t in page["tasks"]] == [late]
    assert "next_page_token" not in page


def test_history_fail_then_succeed(start_daemon, target):
    d = start_daemon()
    target.plan_fail("/flaky", 2, status=503)
    tid = d.enqueue(target.url("/flaky"), headers={"X-K": "v"},
                    body="hello").json["task_id"]
    target.wait_count(3, path="/flaky")
    wait_for(lambda: get(d, f"/v1/tasks/{tid}")["state"] == "done")
    t = get(d, f"/v1/tasks/{tid}")
    assert t == get(d, f"/v1/queues/default/tasks/{tid}")
    assert t["id"] == tid and t["queue"] == "default"
    assert t["attempts"] == 3 and t["last_status"] == 200
    assert t["headers"] == {"X-K": "v"} and t["body"] == "hello"
    assert TIME_RE.match(t["finished"])
    h = t["history"]
    assert [a["attempt"] for a in h] == [1, 2, 3]
    assert [a["status"] for a in h] == [503, 503, 200]
    assert h[0]["error"] == "HTTP 503" and h[2]["error"] == ""
    assert all(TIME_RE.match(a["time"]) for a in h)
    assert all(a["duration_ms"] >= 0 for a in h)
    # Done tasks are listed newest first.
    done = get(d, "/v1/queues/default/tasks?state=done")["tasks"]
    assert [x["id"] for x in done] == [tid]


def test_pending_task_stores_nothing_extra(start_daemon, r):
    d = api_only(start_daemon)
    tid = d.enqueue("http://127.0.0.1:1/x").json["task_id"]
    h = r.hgetall(task_key("default", tid))
    assert not [k for k in h if k.startswith("a:") or k == "hn"], h


def test_waiting_task_fields_missing_read_as_zero(start_daemon, r):
    """A waiting task's hash holds only what is not implied (no queue, no
    zero or empty fields); /v1 and /v2 show those as 0 or empty."""
    d = api_only(start_daemon)
    tid = d.enqueue("http://127.0.0.1:1/x").json["task_id"]
    hid = d.enqueue("http://127.0.0.1:1/h", headers={"X-K": "v"},
                    body="b").json["task_id"]
    h = r.hgetall(task_key("default", tid))
    assert set(h) == {"id", "url", "method", "body", "state", "created",
                      "eta", "attempts", "token"}, h
    assert set(r.hgetall(task_key("default", hid))) == set(h) | {"headers"}
    t = get(d, f"/v1/tasks/{tid}")
    assert t["queue"] == "default" and t["state"] == "pending", t
    assert t["attempts"] == 0 and t["last_status"] == 0, t
    assert t["last_error"] == "" and "finished" not in t, t
    assert t["headers"] == {} and t["body"] == "", t
    assert get(d, f"/v1/tasks/{hid}")["headers"] == {"X-K": "v"}
    lt = get(d, "/v1/queues/default/tasks?state=pending")["tasks"]
    assert [x["id"] for x in lt] == [tid, hid], lt
    assert all(x["attempts"] == 0 and x["last_status"] == 0 and
               x["last_error"] == "" for x in lt), lt
    v2 = d.request("GET", "/v2/projects/p/locations/l/queues/default/"
                   f"tasks/{tid}")
    assert v2.status == 200, v2
    assert v2.json["dispatchCount"] == 0 and \
        v2.json["responseCount"] == 0, v2.json
    assert v2.json["dispatchDeadline"] == "600s", v2.json
    assert "lastAttempt" not in v2.json and \
        v2.json["httpRequest"]["headers"] == {}, v2.json


def test_retry_dead_task(start_daemon, target, r):
    d = start_daemon({"dispatch.max_retries": 1})
    target.plan("/dead", [{"status": 500}, {"status": 500},
                          {"status": 200}])
    tid = d.enqueue(target.url("/dead")).json["task_id"]
    wait_state(r, "default", tid, "dead", timeout=15)
    t = get(d, f"/v1/tasks/{tid}")
    assert t["state"] == "dead" and TIME_RE.match(t["finished"])
    assert [x["id"] for x in get(
        d, "/v1/queues/default/tasks?state=dead")["tasks"]] == [tid]
    resp = post(d, f"/v1/tasks/{tid}:retry")
    assert resp.status == 200, resp
    assert resp.json == {"task_id": tid, "queue": "default",
                         "state": "pending"}
    target.wait_count(3, path="/dead")
    wait_state(r, "default", tid, "done")
    t = get(d, f"/v1/tasks/{tid}")
    assert [a["status"] for a in t["history"]] == [500, 500, 200]
    # Done: retry is refused.
    assert_error_shape(post(d, f"/v1/tasks/{tid}:retry"), 409,
                       "FAILED_PRECONDITION")


def test_retry_pending_and_scheduled(start_daemon, r):
    d = api_only(start_daemon)
    p = d.enqueue("http://127.0.0.1:1/p").json["task_id"]
    resp = post(d, f"/v1/tasks/{p}:retry")
    assert resp.status == 200 and resp.json["state"] == "pending"
    assert where(r, "default", p) == ["pending"]
    s = d.enqueue("http://127.0.0.1:1/s", delay=3600).json["task_id"]
    assert post(d, f"/v1/tasks/{s}:retry").status == 200
    assert where(r, "default", s) == ["pending"]
    assert r.hgetall(task_key("default", s))["state"] == "pending"


def test_retry_active_is_409(start_daemon, target):
    d = start_daemon({"workers.count": 1})
    target.plan_hang("/hang", gate="g")
    tid = d.enqueue(target.url("/hang")).json["task_id"]
    target.wait_count(1, path="/hang")
    assert_error_shape(post(d, f"/v1/tasks/{tid}:retry"), 409,
                       "FAILED_PRECONDITION")
    active = get(d, "/v1/queues/default/tasks?state=active")["tasks"]
    assert [t["id"] for t in active] == [tid]
    # Deleted while active: the late ack changes nothing.
    resp = d.request("DELETE", f"/v1/tasks/{tid}")
    assert resp.status == 200 and resp.json == {}, resp
    target.release("g")
    wait_for(lambda: "result not recorded" in d.log())
    assert d.request("GET", f"/v1/tasks/{tid}").status == 404


def test_delete_task(start_daemon, r):
    d = api_only(start_daemon)
    tid = d.enqueue("http://127.0.0.1:1/x", queue="low").json["task_id"]
    resp = d.request("DELETE", f"/v1/tasks/{tid}")
    assert resp.status == 200 and resp.json == {}
    assert r.hgetall(task_key("low", tid)) == {}
    assert where(r, "low", tid) == []
    assert_error_shape(d.request("DELETE", f"/v1/tasks/{tid}"), 404,
                       "NOT_FOUND")


def test_bulk_retry_by_ids_and_state(start_daemon, r):
    d = api_only(start_daemon)
    ids = [d.enqueue("http://127.0.0.1:1/x", delay=3600).json["task_id"]
           for _ in range(5)]
    resp = post(d, "/v1/queues/default/tasks:retry",
                {"ids": ids[:2] + ["0123456789abcdef0123456789abcdef",
                                   "junk"]})
    assert resp.status == 200 and resp.json == {"retried": 2}, resp
    assert r.execute("LLEN", tkey("default", "pending")) == 2
    resp = post(d, "/v1/queues/default/tasks:retry", {"state": "scheduled"})
    assert resp.json == {"retried": 3}, resp
    assert r.execute("LLEN", tkey("default", "pending")) == 5
    assert r.execute("ZCARD", tkey("default", "scheduled")) == 0


def test_bulk_retry_many_dead(start_daemon, r):
    """More than one batch (1000 IDs per call)."""
    d = api_only(start_daemon)
    n = 1203
    args = []
    for i in range(n):
        tid = f"{i:032x}"
        r.execute("HSET", task_key("default", tid), "id", tid, "queue",
                  "default", "url", "http://127.0.0.1:1/x", "method", "POST",
                  "headers", "{}", "body", "", "state", "dead", "created",
                  "1", "eta", "1", "attempts", "4", "finished", "2")
        args += [str(1000 + i), tid]
    r.execute("ZADD", tkey("default", "dead"), *args)
    resp = post(d, "/v1/queues/default/tasks:retry", {"state": "dead"})
    assert resp.status == 200 and resp.json == {"retried": n}, resp
    assert r.execute("LLEN", tkey("default", "pending")) == n
    h = r.hgetall(task_key("default", f"{5:032x}"))
    assert h["state"] == "pending" and h["attempts"] == "0"


def test_bulk_delete(start_daemon, r):
    d = api_only(start_daemon)
    ids = [d.enqueue("http://127.0.0.1:1/x").json["task_id"]
           for _ in range(4)]
    later = d.enqueue("http://127.0.0.1:1/y", delay=3600).json["task_id"]
    resp = post(d, "/v1/queues/default/tasks:delete", {"ids": ids[:1]})
    assert resp.json == {"deleted": 1}, resp
    resp = post(d, "/v1/queues/default/tasks:delete", {"state": "pending"})
    assert resp.json == {"deleted": 3}, resp
    assert r.execute("LLEN", tkey("default", "pending")) == 0
    assert r.hgetall(task_key("default", later))["state"] == "scheduled"
    for tid in ids:
        assert r.hgetall(task_key("default", tid)) == {}


def test_bulk_bad_bodies(start_daemon):
    d = api_only(start_daemon)
    for path in ["/v1/queues/default/tasks:retry",
                 "/v1/queues/default/tasks:delete"]:
        # The enqueue body's strict parser: trailing bytes, a trailing
        # comma, single quotes and a NUL are refused here too.
        for body in [b"", b"not json", b"[]", {"state": "bogus"},
                     {"ids": "x"}, {"ids": [1]}, {},
                     b'{"state":"dead"} garbage', b'{"state":"dead",}',
                     b"{'state':'dead'}", b'{"state":"dead"}\x00']:
            assert_error_shape(post(d, path, body), 400, "INVALID_ARGUMENT")
    for s in ["pending", "active", "done"]:
        assert_error_shape(post(d, "/v1/queues/default/tasks:retry",
                                {"state": s}), 400, "INVALID_ARGUMENT")


def test_purge(start_daemon, r):
    d = api_only(start_daemon)
    for _ in range(3):
        d.enqueue("http://127.0.0.1:1/x")
    d.enqueue("http://127.0.0.1:1/x", delay=3600)
    other = d.enqueue("http://127.0.0.1:1/x", queue="low").json["task_id"]
    resp = post(d, "/v1/queues/default:purge")
    assert resp.status == 200 and resp.json == {"deleted": 4}, resp
    assert r.keys("td:{default}:t:*") == []
    q = get(d, "/v1/queues/default")
    assert all(v == 0 for v in q["counts"].values()), q
    assert r.hgetall(task_key("low", other))["state"] == "pending"


def test_dead_by_connection_refused_history(start_daemon, r):
    d = start_daemon({"dispatch.max_retries": 0})
    tid = d.enqueue(f"http://127.0.0.1:{closed_port()}/x").json["task_id"]
    wait_state(r, "default", tid, "dead")
    t = get(d, f"/v1/tasks/{tid}")
    assert len(t["history"]) == 1
    assert t["history"][0]["status"] == 0
    assert t["history"][0]["error"] == "connection refused"
    assert t["last_error"] == "connection refused"
    wait_for(lambda: re.search(
        rf'task dead task={tid} queue=default status=0 attempts=1 '
        rf'dur_ms=\d+ error="connection refused"', d.log()))
    assert json.dumps(t)


def test_history_lease_expired(start_daemon, target, r):
    """A worker killed mid-dispatch: the lost attempt is in the history as
    "lease expired" and counted as retried."""
    import os
    import signal
    d = start_daemon({"workers.count": 1})
    target.plan_hang("/slow", gate="never")
    tid = d.enqueue(target.url("/slow")).json["task_id"]
    target.wait_count(1, path="/slow")
    w = d.worker_pids()[1]
    os.kill(w, signal.SIGKILL)
    target.wait_count(2, path="/slow", timeout=20)
    wait_state(r, "default", tid, "done", timeout=20)
    t = get(d, f"/v1/tasks/{tid}")
    assert [(a["attempt"], a["status"], a["error"]) for a in t["history"]] \
        == [(1, 0, "lease expired"), (2, 200, "")]
    q = get(d, "/v1/queues/default")
    assert q["totals"]["retried"] == 1 and q["totals"]["succeeded"] == 1


def test_redis_down_is_503(start_daemon, redis):
    d = api_only(start_daemon)
    redis.kill()
    for method, path in [("GET", "/v1/queues"), ("GET", "/v1/stats"),
                         ("GET", "/metrics"),
                         ("GET", "/v1/queues/default/tasks"),
                         ("POST", "/v1/queues/default:pause"),
                         ("GET", "/v1/tasks/"
                                 "0123456789abcdef0123456789abcdef")]:
        wait_for(lambda: d.request(method, path).status == 503)
        assert_error_shape(d.request(method, path), 503, "UNAVAILABLE")
