"""Bad requests: the right status, the JSON error shape, a message that
names the field, and nothing stored or dispatched."""

import json

import pytest

from tdlib import PREFIX, assert_error_shape

URL = "http://127.0.0.1:1/x"    # replaced by the target's URL below


def T(**task):
    return task


# label, request body (a JSON value, or bytes sent as is), message prefix
# (None: the message need not name a field, e.g. unparsable JSON).
ROWS = [
    ("unknown queue", {"queue": "nope", "task": T(url=URL)}, "queue"),
    ("queue not a string", {"queue": 3, "task": T(url=URL)}, "queue"),
    ("malformed json", b'{"task": {"url": ', None),
    ("trailing garbage", b'{"task": {"url": "http://a/"}} x', None),
    ("empty body", b"", None),
    ("non-object json", [1, 2], None),
    ("json string", "task", None),
    ("missing task", {"queue": "default"}, "task"),
    ("task not an object", {"task": "http://a/"}, "task"),
    ("missing url", {"task": T(method="POST")}, "task.url"),
    ("url not a string", {"task": T(url=5)}, "task.url"),
    ("ftp url", {"task": T(url="ftp://127.0.0.1/x")}, "task.url"),
    ("url without host", {"task": T(url="http://")}, "task.url"),
    ("url not absolute", {"task": T(url="/just/a/path")}, "task.url"),
    ("method with space", {"task": T(url=URL, method="GE T")},
     "task.method"),
    ("empty method", {"task": T(url=URL, method="")}, "task.method"),
    ("method not a string", {"task": T(url=URL, method=1)}, "task.method"),
    ("headers not an object", {"task": T(url=URL, headers=["a"])},
     "task.headers"),
    ("CRLF in header name",
     {"task": T(url=URL, headers={"X-A\r\nX-B": "v"})}, "task.headers"),
    ("LF in header value",
     {"task": T(url=URL, headers={"X-A": "v\nX-Injected: 1"})},
     "task.headers"),
    ("CR in header value", {"task": T(url=URL, headers={"X-A": "v\rw"})},
     "task.headers"),
    ("colon in header name", {"task": T(url=URL, headers={"X:A": "v"})},
     "task.headers"),
    ("empty header name", {"task": T(url=URL, headers={"": "v"})},
     "task.headers"),
    ("non-string header value", {"task": T(url=URL, headers={"X-A": 1})},
     "task.headers"),
    ("null header value", {"task": T(url=URL, headers={"X-A": None})},
     "task.headers"),
    ("non-string body", {"task": T(url=URL, body=123)}, "task.body"),
    ("object body", {"task": T(url=URL, body={"a": 1})}, "task.body"),
    ("negative delay", {"delay": -1, "task": T(url=URL)}, "delay"),
    ("string delay", {"delay": "5", "task": T(url=URL)}, "delay"),
    ("bool delay", {"delay": True, "task": T(url=URL)}, "delay"),
]


def fill(value, url):
    if isinstance(value, dict):
        return {k: fill(v, url) for k, v in value.items()}
    if value == URL:
        return url
    return value


@pytest.mark.parametrize("label,body,prefix", ROWS,
                         ids=[row[0].replace(" ", "-") for row in ROWS])
def test_bad_enqueue(start_daemon, target, r, label, body, prefix):
    d = start_daemon()
    before = r.keys(f"{PREFIX}:*")
    if not isinstance(body, bytes):
        body = json.dumps(fill(body, target.url("/bad"))).encode()
    resp = d.request("POST", "/v1/enqueue", body)
    msg = assert_error_shape(resp, 400, "INVALID_ARGUMENT")
    if prefix is not None:
        assert msg.startswith(prefix), msg
        # "task" must not be satisfied by "task.url: ..."; a header may be
        # named after its field ("task.headers.X-A: ...").
        rest = msg[len(prefix):]
        ok = (":", " ", ".", "[") if prefix == "task.headers" else (":", " ")
        assert rest[:1] in ok, msg
    assert r.keys(f"{PREFIX}:*") == before

    # A good task afterwards is the barrier: once it has arrived, the bad
    # one would have too.
    ok = d.enqueue(target.url("/good"))
    assert ok.status == 200, ok
    target.wait_count(1, path="/good")
    assert [q.path for q in target.requests()] == ["/good"]


def test_body_too_large(start_daemon, target, r):
    d = start_daemon({"server.max_body": "1k"})
    before = r.keys(f"{PREFIX}:*")
    big = json.dumps({"task": {"url": target.url("/big"),
                               "body": "x" * 1100}}).encode()
    assert len(big) > 1024
    resp = d.request("POST", "/v1/enqueue", big)
    assert_error_shape(resp, 413, "INVALID_ARGUMENT")
    assert r.keys(f"{PREFIX}:*") == before
    # Just under the limit is fine.
    small = json.dumps({"task": {"url": target.url("/small"),
                                 "body": "x" * 900}}).encode()
    assert len(small) <= 1024
    resp = d.request("POST", "/v1/enqueue", small)
    assert resp.status == 200, resp
    target.wait_count(1, path="/small")
    assert [q.path for q in target.requests()] == ["/small"]


@pytest.mark.parametrize("method,path,code,status,allow", [
    ("GET", "/v1/enqueue", 405, "UNIMPLEMENTED", "POST"),
    ("PUT", "/v1/enqueue", 405, "UNIMPLEMENTED", "POST"),
    ("POST", "/health", 405, "UNIMPLEMENTED", "GET"),
    ("GET", "/nope", 404, "NOT_FOUND", None),
    ("POST", "/v1/enqueue/extra", 404, "NOT_FOUND", None),
])
def test_http_errors(start_daemon, method, path, code, status, allow):
    d = start_daemon({"workers.count": 0})
    body = b'{"task":{"url":"http://127.0.0.1:1/"}}' \
        if method in ("POST", "PUT") else None
    resp = d.request(method, path, body)
    assert_error_shape(resp, code, status)
    if allow is not None:
        got = resp.header("Allow")
        assert got is not None, resp.headers
        assert allow in [m.strip() for m in got.split(",")], got


def test_query_string_ignored(start_daemon, target):
    d = start_daemon()
    resp = d.request("GET", "/health?verbose=1")
    assert resp.status == 200, resp
    resp = d.request("POST", "/v1/enqueue?x=1",
                     {"task": {"url": target.url("/q")}})
    assert resp.status == 200, resp
    target.wait_count(1, path="/q")
