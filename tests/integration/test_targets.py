"""Target policy: [dispatch] allow_targets / deny_targets.  A URL whose
literal address or host name is refused gets 400 INVALID_ARGUMENT at
enqueue; a name that resolves to a refused address passes enqueue and
the task goes dead at its first attempt, with the reason in last_error.
The default refuses link-local (the cloud metadata address) and keeps
loopback allowed."""

import http.server
import socket
import threading

import pytest

from tdlib import assert_error_shape, wait_for, wait_state, where


class _Server6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def target6():
    try:
        srv = _Server6(("::1", 0), _Ok)
    except OSError as e:
        pytest.skip(f"no IPv6 loopback: {e}")
    srv.hits = []
    t = threading.Thread(target=srv.serve_forever,
                         kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def refused_400(d, url, host):
    resp = d.enqueue(url)
    msg = assert_error_shape(resp, 400, "INVALID_ARGUMENT")
    assert msg == f"task.url: target refused by policy: {host}", msg


def test_default_refuses_metadata(start_daemon, target):
    d = start_daemon({"workers.count": 1})
    for url, host in (
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
            ("http://169.254.169.254:80/x", "169.254.169.254"),
            ("http://user:pw@169.254.169.254/", "169.254.169.254"),
            # curl reads these as 169.254.169.254 too.
            ("http://2852039166/", "2852039166"),
            ("http://0xa9fea9fe/", "0xa9fea9fe"),
            ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254"),
            ("http://[fe80::1]/", "fe80::1"),
            ("http://[fd00:ec2::254]/", "fd00:ec2::254"),
            ("http://0.0.0.0:1/", "0.0.0.0")):
        refused_400(d, url, host)
    # Loopback stays allowed: by address and by name.
    assert d.enqueue(target.url("/lit")).status == 200
    assert d.enqueue(target.url("/name").replace(
        "127.0.0.1", "localhost")).status == 200
    target.wait_count(1, "/lit")
    target.wait_count(1, "/name")


def test_ipv6_loopback(start_daemon, target6):
    port = target6.server_address[1]
    d = start_daemon({"workers.count": 1})
    assert d.enqueue(f"http://[::1]:{port}/six").status == 200
    wait_for(lambda: "/six" in target6.hits, 10, msg="delivered over ::1")
    d2 = start_daemon({"workers.count": 1, "dispatch.deny_targets": "::1"},
                      name="deny6")
    refused_400(d2, f"http://[::1]:{port}/six", "::1")
    refused_400(d2, f"http://[0:0:0:0:0:0:0:1]:{port}/six",
                "0:0:0:0:0:0:0:1")


def test_resolved_address_refused(start_daemon, target, r):
    """localhost is a name: it passes enqueue, and its addresses are
    refused when curl is about to connect, so the task dies at once."""
    d = start_daemon({"workers.count": 1, "dispatch.max_retries": 5,
                      "dispatch.deny_targets": "127.0.0.0/8 ::1/128"})
    url = target.url("/r").replace("127.0.0.1", "localhost")
    resp = d.enqueue(url)
    assert resp.status == 200, resp
    tid = resp.json["task_id"]
    h = wait_state(r, "default", tid, "dead")
    assert h["last_error"].startswith("target refused by policy: "), h
    assert h["last_error"].split(": ", 1)[1] in ("127.0.0.1", "::1"), h
    assert h["attempts"] == "1", h
    assert where(r, "default", tid) == ["dead"]
    assert target.count("/r") == 0
    # The literal is known at enqueue.
    refused_400(d, target.url("/r"), "127.0.0.1")


def test_name_rules(start_daemon, target):
    d = start_daemon({"workers.count": 1,
                      "dispatch.deny_targets": "localhost .example.test"})
    refused_400(d, target.url("/n").replace("127.0.0.1", "LocalHost"),
                "localhost")
    refused_400(d, "http://api.example.test/x", "api.example.test")
    # Setting deny_targets replaces the defaults.
    assert d.enqueue("http://169.254.169.254:1/").status == 200
    assert d.enqueue(target.url("/n")).status == 200
    target.wait_count(1, "/n")


def test_allow_list(start_daemon, target, r):
    d = start_daemon({"workers.count": 1,
                      "dispatch.allow_targets": "10.0.0.0/8, localhost"})
    refused_400(d, target.url("/a"), "127.0.0.1")
    # localhost is allowed by name; the default deny list still applies.
    assert d.enqueue(target.url("/a").replace(
        "127.0.0.1", "localhost")).status == 200
    target.wait_count(1, "/a")
    # Both would serve the one Redis: d must not run d2's task.
    d.stop()
    d2 = start_daemon({"workers.count": 1, "dispatch.max_retries": 5,
                       "dispatch.allow_targets": "10.0.0.0/8"}, name="only10")
    # A name may resolve into 10/8: decided at dispatch, where it fails.
    resp = d2.enqueue(target.url("/b").replace("127.0.0.1", "localhost"))
    assert resp.status == 200, resp
    h = wait_state(r, "default", resp.json["task_id"], "dead")
    assert h["last_error"].startswith("target refused by policy: "), h
    assert target.count("/b") == 0


def test_bad_rules_are_config_errors(start_daemon):
    d = start_daemon({"dispatch.deny_targets": "10.0.0.1/8"}, wait=False)
    assert d.wait_exit(10) == 78
    assert "host bits set" in d.log()
