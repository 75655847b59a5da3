"""Hostile clients against the real listener: slowloris heads, bodies that
never finish, connections by the thousand, pipelining, requests split at
every byte, oversized heads and bodies, chunked bodies.

During each attack a well-behaved client's GET /health must be answered,
and the listener's memory must stay bounded.  The health latency is
printed (pytest -s shows it), never asserted: timing belongs to a bench,
not to the suite.
"""

import json
import resource
import select
import socket
import time

import pytest

from tdlib import assert_error_shape, task_key, wait_for
from test_http import enqueue_req, parse_responses

RSS_MAX_KB = 64 * 1024


def listener_rss_kb(d):
    pids = wait_for(lambda: d.pids("listener"), msg="a listener")
    assert len(pids) == 1, pids
    with open(f"/proc/{pids[0]}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for the listener")


def probe(d, what):
    """GET /health on a fresh connection: it must answer 200."""
    t0 = time.monotonic()
    status = d.health(timeout=10)
    ms = (time.monotonic() - t0) * 1000
    print(f"health during {what}: {status} in {ms:.1f} ms")
    assert status == 200, f"/health during {what}: {status}"
    return ms


def recv_all(s, timeout=10.0):
    """Read until the server closes (or resets) the connection."""
    s.settimeout(timeout)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk


def recv_responses(s, n, timeout=10.0):
    """Read until n whole responses have come back."""
    s.settimeout(timeout)
    data = b""
    while True:
        try:
            resps = parse_responses(data)
        except (IndexError, ValueError):
            resps = []
        if len(resps) >= n and all(
                len(x.body) == int(x.header("Content-Length") or 0)
                for x in resps):
            return resps
        chunk = s.recv(65536)
        assert chunk, f"closed after {len(resps)} of {n} answers: {data!r}"
        data += chunk


def connect(d):
    s = socket.create_connection(("127.0.0.1", d.port), 10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Attack:
    """Start the daemon; check RSS before and after."""

    def __init__(self, start_daemon, conf, what):
        base = {"workers.count": 0}
        base.update(conf)
        self.d = start_daemon(base)
        self.d.workers = 0
        self.what = what
        self.rss0 = listener_rss_kb(self.d)
        self.lat = []

    def probe(self):
        self.lat.append(probe(self.d, self.what))

    def done(self):
        rss = listener_rss_kb(self.d)
        print(f"{self.what}: listener VmRSS {self.rss0} kB -> {rss} kB; "
              f"health max {max(self.lat or [0]):.1f} ms over "
              f"{len(self.lat)} probes")
        assert rss < RSS_MAX_KB, f"listener VmRSS {rss} kB after {self.what}"


def test_slowloris_head(start_daemon):
    """Heads trickled a byte at a time, within header_timeout, on many
    connections at once: each is answered once whole."""
    a = Attack(start_daemon, {"server.header_timeout": "20s"}, "slowloris")
    req = (b"GET /health HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\n"
           b"X-Pad: abcdefgh\r\n\r\n")
    socks = [connect(a.d) for _ in range(50)]
    for i in range(len(req)):
        for s in socks:
            s.sendall(req[i:i + 1])
        if i % 8 == 0:
            a.probe()
        time.sleep(0.02)   # the trickle itself
    for s in socks:
        resps = recv_responses(s, 1)
        assert [x.status for x in resps] == [200], resps
        s.close()
    a.probe()
    a.done()


def test_slowloris_past_header_timeout(start_daemon):
    """A head still trickling at header_timeout gets 408 and is closed,
    however steadily it trickles."""
    a = Attack(start_daemon, {"server.header_timeout": "1s"},
               "slowloris past header_timeout")
    s = connect(a.d)
    out = b""
    for i in range(200):
        try:
            s.sendall(b"X" if i else
                      b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        except (BrokenPipeError, ConnectionResetError):
            break
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            out = recv_all(s)
            break
        if i % 10 == 0:
            a.probe()
    else:
        pytest.fail("a head trickled for 10 s was never cut off")
    resps = parse_responses(out)
    assert len(resps) == 1, out
    assert_error_shape(resps[0], 408, "DEADLINE_EXCEEDED")
    s.close()
    a.done()


def test_body_never_finishes(start_daemon, r):
    """A body that stops coming gets 408 after idle_timeout; nothing is
    enqueued."""
    a = Attack(start_daemon, {"server.idle_timeout": "2s"}, "stalled body")
    socks = []
    for _ in range(20):
        s = connect(a.d)
        s.sendall(b"POST /v1/enqueue HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Content-Length: 100000\r\n\r\n" + b"{" * 5000)
        socks.append(s)
    a.probe()
    for s in socks:
        resps = parse_responses(recv_all(s))
        assert len(resps) == 1, resps
        assert_error_shape(resps[0], 408, "DEADLINE_EXCEEDED")
        s.close()
    a.probe()
    assert r.keys("td:*") == []
    a.done()


def test_idle_connections_past_max(start_daemon):
    """More idle connections than max_connections: the listener neither
    dies nor grows, and a client with a request still gets an answer."""
    # We hold 1.5 n_max sockets and the daemon (which inherits our
    # limit) n_max: raise the soft limit as far as the hard one allows.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        soft = want
    n_max = min(1000, (soft - 200) * 2 // 3)
    if n_max < 100:
        pytest.skip(f"RLIMIT_NOFILE {soft} too low")
    a = Attack(start_daemon, {"server.max_connections": n_max,
                              "server.idle_timeout": "60s"},
               "idle connections")
    socks = []
    try:
        for i in range(int(n_max * 1.5)):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", a.d.port))
            socks.append(s)
            if i % 250 == 0:
                a.probe()
        for _ in range(3):
            a.probe()
        # The first idle ones may be closed to make room: a keep-alive
        # client must expect that; what must not happen is no answer.
        s = connect(a.d)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert [x.status for x in recv_responses(s, 1)] == [200]
        s.close()
        a.done()
    finally:
        for s in socks:
            s.close()
    a.probe()


def test_pipelined_enqueues(start_daemon, r, target):
    """Twenty enqueues in one write: twenty answers, in order."""
    a = Attack(start_daemon, {}, "pipelining")
    n = 20
    data = b"".join(enqueue_req(target.url(f"/p{i}")) for i in range(n))
    s = connect(a.d)
    s.sendall(data)
    resps = recv_responses(s, n)
    s.close()
    assert [x.status for x in resps] == [200] * n, resps
    for i, x in enumerate(resps):
        tid = x.json["task_id"]
        url = r.hgetall(task_key("default", tid)).get("url")
        assert url == target.url(f"/p{i}"), (i, url)
    a.probe()
    a.done()


def test_split_at_every_byte(start_daemon, r, target):
    """One enqueue sent as two writes, split at each byte in turn, on one
    keep-alive connection: every split is answered, and right."""
    a = Attack(start_daemon, {}, "split requests")
    s = connect(a.d)
    req = enqueue_req(target.url("/split"))
    tids = set()
    for k in range(1, len(req)):
        s.sendall(req[:k])
        time.sleep(0.002)   # let the first part arrive on its own
        s.sendall(req[k:])
        resps = recv_responses(s, 1)
        assert [x.status for x in resps] == [200], (k, resps)
        tids.add(resps[0].json["task_id"])
        if k % 50 == 0:
            a.probe()
    s.close()
    assert len(tids) == len(req) - 1
    for tid in list(tids)[:10]:
        assert r.hgetall(task_key("default", tid)).get("url") == \
            target.url("/split")
    a.done()


def test_oversized_head(start_daemon, r):
    """A head over max_header, or with too many fields, gets 431 and is
    not buffered whole."""
    a = Attack(start_daemon, {"server.max_header": "4k"}, "oversized head")
    s = connect(a.d)
    try:
        s.sendall(b"GET /health HTTP/1.1\r\nX-Big: " + b"y" * (1 << 20) +
                  b"\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    resps = parse_responses(recv_all(s))
    assert len(resps) == 1, resps
    assert_error_shape(resps[0], 431, "INVALID_ARGUMENT")
    s.close()
    a.probe()
    s = connect(a.d)
    s.sendall(b"GET /health HTTP/1.1\r\n" +
              b"".join(b"H%d: v\r\n" % i for i in range(100)) + b"\r\n")
    resps = parse_responses(recv_all(s))
    assert len(resps) == 1, resps
    assert_error_shape(resps[0], 431, "INVALID_ARGUMENT")
    s.close()
    a.probe()
    a.done()


def test_huge_content_length(start_daemon, r):
    """Content-Length over max_body: 413 as soon as the head is in,
    without waiting for (or reading) the body."""
    a = Attack(start_daemon, {"server.max_body": "64k",
                              "server.idle_timeout": "30s"},
               "huge Content-Length")
    for cl in (b"65537", b"1000000000000", b"18446744073709551615"):
        s = connect(a.d)
        s.sendall(b"POST /v1/enqueue HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Content-Length: " + cl + b"\r\n\r\n")
        # No body is sent: an answer can only be the 413 (a wait for the
        # body would end in 408 after idle_timeout instead).
        resps = parse_responses(recv_all(s, timeout=20))
        assert len(resps) == 1, (cl, resps)
        assert_error_shape(resps[0], 413, "INVALID_ARGUMENT")
        s.close()
        a.probe()
    assert r.keys("td:*") == []
    a.done()


def chunked(body, size):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


def test_chunked_bodies(start_daemon, r, target):
    """A chunked enqueue is taken; a chunked body over max_body is 413,
    whether one chunk or many add up to too much."""
    a = Attack(start_daemon, {"server.max_body": "4k"}, "chunked bodies")
    body = json.dumps({"task": {"url": target.url("/chunked"),
                                "body": "z" * 1000}}).encode()
    head = (b"POST /v1/enqueue HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    s = connect(a.d)
    s.sendall(head + chunked(body, 7) + head + chunked(body, 1000))
    resps = recv_responses(s, 2)
    s.close()
    assert [x.status for x in resps] == [200, 200], resps
    for x in resps:
        h = r.hgetall(task_key("default", x.json["task_id"]))
        assert h.get("url") == target.url("/chunked"), h
    a.probe()
    big = json.dumps({"task": {"url": target.url("/big"),
                               "body": "z" * 8000}}).encode()
    for size in (100, 5000, 1 << 40):
        s = connect(a.d)
        data = head + (chunked(big, size) if size < len(big) * 2 else
                       b"%x\r\n" % size + big)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        resps = parse_responses(recv_all(s))
        assert len(resps) == 1, (size, resps)
        assert_error_shape(resps[0], 413, "INVALID_ARGUMENT")
        s.close()
        a.probe()
    urls = [r.hgetall(k).get("url") for k in r.keys("td:{default}:t:*")]
    assert sorted(urls) == [target.url("/chunked")] * 2, urls
    a.done()


def test_pipeline_never_read(start_daemon):
    """Thousands of pipelined requests from a client that never reads
    its answers: the listener stops reading it rather than buffer, and
    stays small."""
    a = Attack(start_daemon, {}, "unread pipeline")
    s = connect(a.d)
    s.setblocking(False)
    req = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    data = req * 100000
    sent = 0
    # Write until the kernel buffers on both sides are full.
    for _ in range(400):
        try:
            sent += s.send(data[sent:sent + 65536])
        except BlockingIOError:
            _, w, _ = select.select([], [s], [], 0.1)
            if not w:
                break
        if sent >= len(data):
            break
    print(f"unread pipeline: {sent} bytes sent before the listener "
          f"stopped reading")
    a.probe()
    a.done()
    # Now read: the answers come back, in order, all 200.
    s.setblocking(True)
    resps = recv_responses(s, 100)
    assert {x.status for x in resps} == {200}, resps[:3]
    s.close()


def test_many_fat_partial_heads(start_daemon):
    """Hundreds of connections, each holding a head just under
    max_header: the memory they may hold is bounded by max_header each."""
    a = Attack(start_daemon, {"server.max_header": "16k",
                              "server.header_timeout": "30s"},
               "fat partial heads")
    socks = []
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Fat: " + b"f" * 16000
    for i in range(500):
        s = connect(a.d)
        s.sendall(head)
        socks.append(s)
        if i % 100 == 0:
            a.probe()
    a.probe()
    a.done()
    for s in socks:
        s.sendall(b"\r\n\r\n")
    for s in socks[:20]:
        assert [x.status for x in recv_responses(s, 1)] == [200]
    for s in socks:
        s.close()
