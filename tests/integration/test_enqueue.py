"""POST /v1/enqueue: what arrives at the target, and what Redis holds."""

import json
import re
import time

from tdlib import task_key, tkey, wait_state, where

ID_RE = re.compile(r"^[0-9a-f]{32}$")


def check_enqueued(resp, queue):
    assert resp.status == 200, resp
    assert (resp.header("Content-Type") or "").startswith(
        "application/json"), resp.headers
    body = resp.json
    assert isinstance(body, dict), resp
    assert set(body) == {"status", "task_id", "queue"}, body
    assert body["status"] == "enqueued", body
    assert ID_RE.match(body["task_id"]), body
    assert body["queue"] == queue, body
    return body["task_id"]


def test_enqueue_exact_request(start_daemon, target, r):
    d = start_daemon()
    body = ("line1\nline2\r\n\ttab \"quoted\" back\\slash "
            "é ü ß 日本語 ✓ 🎉 \u0001\u007f end")
    headers = {"X-One": "1", "X-Two": "two words, and more",
               "Content-Type": "application/octet-stream",
               "Authorization": "Bearer abc.def",
               "X-Dup-Case": "MiXeD Case"}
    resp = d.enqueue(target.url("/hook/a?x=1&y=%20z"), method="PATCH",
                     headers=headers, body=body, queue="critical")
    tid = check_enqueued(resp, "critical")

    req = target.wait_count(1)[0]
    assert req.method == "PATCH"
    assert req.path == "/hook/a?x=1&y=%20z"
    assert req.body == body.encode("utf-8")
    for name, value in headers.items():
        got = [v for k, v in req.headers if k.lower() == name.lower()]
        assert got == [value], (name, req.headers)
    names = req.header_names()
    # libcurl's own additions are removed (dispatch.h).
    assert "expect" not in names, req.headers
    assert "accept" not in names, req.headers

    h = wait_state(r, "critical", tid, "done")
    assert h["id"] == tid
    # The queue is the key's {critical}: the hash does not repeat it.
    assert "queue" not in h
    assert h["method"] == "PATCH"
    assert h["url"] == target.url("/hook/a?x=1&y=%20z")
    assert json.loads(h["headers"]) == headers
    assert r.hget_raw(task_key("critical", tid), "body") == body.encode()
    assert h["attempts"] == "1"
    assert h["last_status"] == "200"
    assert where(r, "critical", tid) == ["done"]
    assert target.count() == 1


def test_enqueue_body_with_nul(start_daemon, target, r):
    d = start_daemon()
    body = "a\u0000b\u0000\u00ff"
    tid = check_enqueued(d.enqueue(target.url("/nul"), body=body),
                         "default")
    req = target.wait_count(1)[0]
    assert req.body == body.encode("utf-8")
    wait_state(r, "default", tid, "done")


def test_enqueue_defaults(start_daemon, target, r):
    d = start_daemon()
    resp = d.enqueue(raw={"task": {"url": target.url("/plain")}})
    tid = check_enqueued(resp, "default")
    req = target.wait_count(1)[0]
    assert req.method == "POST"
    assert req.path == "/plain"
    assert req.body == b""
    names = req.header_names()
    assert "content-type" not in names, req.headers
    assert "expect" not in names and "accept" not in names, req.headers
    h = wait_state(r, "default", tid, "done")
    assert h["method"] == "POST"
    # No headers: no field (a missing field is its zero, "{}" here).
    assert "headers" not in h
    assert h["body"] == ""


def test_enqueue_post_body_no_form_content_type(start_daemon, target):
    d = start_daemon()
    check_enqueued(d.enqueue(target.url("/form"), body="a=1&b=2"),
                   "default")
    req = target.wait_count(1)[0]
    assert req.method == "POST"
    assert req.body == b"a=1&b=2"
    # No Content-Type was given, so none may be invented.
    assert req.header("Content-Type") is None, req.headers


def test_enqueue_methods(start_daemon, target, r):
    d = start_daemon()
    methods = ["GET", "PUT", "DELETE", "PURGE", "OPTIONS"]
    ids = {}
    for m in methods:
        resp = d.enqueue(target.url(f"/m/{m}"), method=m,
                         body="x" if m != "GET" else None, queue="low")
        ids[m] = check_enqueued(resp, "low")
    reqs = target.wait_count(len(methods))
    got = {q.path: q.method for q in reqs}
    assert got == {f"/m/{m}": m for m in methods}
    for m in methods:
        wait_state(r, "low", ids[m], "done")


def test_enqueue_fractional_delay(start_daemon, target, r):
    d = start_daemon()
    t0 = time.monotonic()
    resp = d.enqueue(target.url("/frac"), delay=0.75)
    tid = check_enqueued(resp, "default")
    h = r.hgetall(task_key("default", tid))
    assert int(h["eta"]) - int(h["created"]) == 750, h
    req = target.wait_count(1, timeout=10)[0]
    # Clock granularity: created is in whole ms.
    assert req.t - t0 >= 0.75 - 0.002, req.t - t0
    wait_state(r, "default", tid, "done")


def test_enqueue_ids_unique(start_daemon, target, r):
    d = start_daemon({"workers.count": 0})
    ids = [check_enqueued(d.enqueue(target.url(f"/u/{i}")), "default")
           for i in range(50)]
    assert len(set(ids)) == 50
    # FIFO within a queue: LPUSH in, taken from the right.
    pend = r.lrange(tkey("default", "pending"))
    assert list(reversed(pend)) == ids
    for tid in ids[:3]:
        assert r.hgetall(task_key("default", tid))["state"] == "pending"
