"""The listener's HTTP side: keep-alive and pipelining, HEAD, header size
and time limits, and the PORT / REDIS_ADDR overrides."""

import json
import socket
import time

from tdlib import assert_error_shape, free_port, Response, wait_state


def raw_exchange(port, data, timeout=5.0):
    """Send bytes, read until the server closes; return what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def parse_responses(data):
    """Split concatenated HTTP/1.1 responses (with Content-Length)."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = [tuple(x.strip() for x in ln.split(":", 1))
                   for ln in lines[1:]]
        n = int(dict((k.lower(), v) for k, v in headers)
                .get("content-length", 0))
        out.append(Response(status, headers, rest[:n]))
        data = rest[n:]
    return out


def enqueue_req(url, close=False):
    body = json.dumps({"task": {"url": url}}).encode()
    return (b"POST /v1/enqueue HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n%s\r\n%s"
            % (len(body), b"Connection: close\r\n" if close else b"", body))


def test_keepalive_pipelined(start_daemon, target, r):
    d = start_daemon()
    data = (b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
            enqueue_req(target.url("/p1")) +
            enqueue_req(target.url("/p2"), close=True))
    resps = parse_responses(raw_exchange(d.port, data))
    assert [x.status for x in resps] == [200, 200, 200], resps
    assert resps[0].json == {"status": "ok"}
    ids = [x.json["task_id"] for x in resps[1:]]
    target.wait_count(1, path="/p1")
    target.wait_count(1, path="/p2")
    for tid in ids:
        wait_state(r, "default", tid, "done")


def test_head_health(start_daemon):
    d = start_daemon({"workers.count": 0})
    resp = d.request("HEAD", "/health")
    assert resp.status == 200, resp
    assert resp.body == b""


def test_header_too_large(start_daemon, target, r):
    d = start_daemon({"server.max_header": "1k", "workers.count": 0})
    resp = d.request("POST", "/v1/enqueue",
                     {"task": {"url": target.url("/h")}},
                     headers={"X-Big": "y" * 2000})
    assert_error_shape(resp, 431, "INVALID_ARGUMENT")
    assert r.keys("td:*") == []
    resp = d.request("POST", "/v1/enqueue",
                     {"task": {"url": target.url("/h")}},
                     headers={"X-Small": "y" * 100})
    assert resp.status == 200, resp


def test_header_timeout(start_daemon):
    d = start_daemon({"server.header_timeout": "1s", "workers.count": 0})
    with socket.create_connection(("127.0.0.1", d.port), 10) as s:
        t0 = time.monotonic()
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # no blank line
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        waited = time.monotonic() - t0
    assert waited >= 1.0 - 0.05, waited
    resps = parse_responses(out)
    assert len(resps) == 1, out
    assert_error_shape(resps[0], 408, "DEADLINE_EXCEEDED")
    assert d.health() == 200


def test_env_overrides(start_daemon, redis, target, r):
    port = free_port()
    d = start_daemon({"server.listen": "127.0.0.1:1",
                      "redis.addr": "/nonexistent/redis.sock"}, wait=False,
                     env={"PORT": str(port), "REDIS_ADDR": redis.sock})
    d.port = port
    d.wait_healthy()
    tid = d.enqueue(target.url("/env")).json["task_id"]
    target.wait_count(1, path="/env")
    wait_state(r, "default", tid, "done")


def test_large_body_exact(start_daemon, target, r):
    d = start_daemon({"server.max_body": "1m"})
    body = "".join(chr(0x20 + (i * 7919) % 0x2fd0) for i in range(100000))
    resp = d.enqueue(target.url("/large"), body=body)
    assert resp.status == 200, resp
    req = target.wait_count(1, path="/large")[0]
    assert req.body == body.encode("utf-8")
    wait_state(r, "default", resp.json["task_id"], "done")
