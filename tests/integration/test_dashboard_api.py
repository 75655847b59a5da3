"""The dashboard's server side, black-box over HTTP against the real
daemon and a real Redis: the built-in files (types, ETag, 304), base_path
and its redirect, the session endpoints, login by user (crypt hash) and by
API token, the cookie and its CSRF header, read-only mode, forwarding of
the operator API, masking of secret task headers, the dashboard off, and
a reload that keeps both the socket and the sessions."""

import http.client
import os
import re
import subprocess

import pytest

from tdlib import (Response, SLOW, closed_port, free_port, render_conf,
                   task_key, wait_for, wait_state, where)

PASSWORD = "correct horse battery staple"
TOKEN = "dash-test-token-0123456789"
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
         ".svg": "image/svg+xml"}


def crypt_hash(password):
    p = subprocess.run(["openssl", "passwd", "-6", "-stdin"],
                       input=password.encode(), capture_output=True,
                       check=True)
    return p.stdout.decode().strip()


def dreq(port, method, path, body=None, headers=None):
    """One request to the dashboard's port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    try:
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            import json
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def start_dash(start_daemon, conf=None):
    """A daemon with the dashboard on a free port: (daemon, port)."""
    port = free_port()
    c = {"dashboard.listen": f"127.0.0.1:{port}", "workers.count": 0}
    c.update(conf or {})
    d = start_daemon(c)
    wait_for(lambda: f"listening on 127.0.0.1:{port}" in d.log())
    return d, port


def login(port, base="/", **creds):
    resp = dreq(port, "POST", base + "api/login", creds)
    assert resp.status == 200, resp
    cookie = resp.header("Set-Cookie")
    return resp, cookie.split(";")[0]


def asset_names(srcdir):
    return sorted(f for f in os.listdir(os.path.join(srcdir, "src/dash"))
                  if os.path.isfile(os.path.join(srcdir, "src/dash", f)))


def test_assets_types_etag_304(start_daemon, srcdir):
    d, port = start_dash(start_daemon)
    names = asset_names(srcdir)
    assert "index.html" in names
    for name in names:
        with open(os.path.join(srcdir, "src/dash", name), "rb") as f:
            want = f.read()
        resp = dreq(port, "GET", "/" + name)
        assert resp.status == 200, (name, resp)
        assert resp.body == want, name
        ext = os.path.splitext(name)[1]
        if ext in TYPES:
            assert resp.header("Content-Type").startswith(TYPES[ext]), \
                (name, resp.headers)
        assert resp.header("Cache-Control") == "no-cache"
        assert resp.header("X-Content-Type-Options") == "nosniff"
        etag = resp.header("ETag")
        assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', etag), etag
        again = dreq(port, "GET", "/" + name, headers={
            "If-None-Match": etag})
        assert again.status == 304 and again.body == b"", again
        assert again.header("ETag") == etag
        other = dreq(port, "GET", "/" + name, headers={
            "If-None-Match": '"0-0"'})
        assert other.status == 200 and other.body == want
        head = dreq(port, "HEAD", "/" + name)
        assert head.status == 200 and head.body == b""
        assert int(head.header("Content-Length")) == len(want)
    # The page itself at base_path, with the page's own protections.
    root = dreq(port, "GET", "/")
    assert root.status == 200
    assert root.header("Content-Type").startswith("text/html")
    assert "frame-ancestors 'none'" in root.header(
        "Content-Security-Policy")
    for path in ("/nope.js", "/a/b.css", "/api", "/api/nothing",
                 "/api/v2/projects", "/health", "/metrics", "/v1/queues"):
        resp = dreq(port, "GET", path)
        assert resp.status == 404, (path, resp)
        assert resp.json["error"]["status"] == "NOT_FOUND"
    resp = dreq(port, "POST", "/", b"x")
    assert resp.status == 405 and resp.header("Allow") == "GET, HEAD"
    # The API's port serves no dashboard.
    assert d.request("GET", "/index.html").status == 404


def test_base_path(start_daemon):
    d, port = start_dash(start_daemon, {"dashboard.base_path": "tasks"})
    resp = dreq(port, "GET", "/tasks")
    assert resp.status == 301, resp
    assert resp.header("Location") == "/tasks/"
    assert dreq(port, "GET", "/tasks?x=1").status == 301
    page = dreq(port, "GET", "/tasks/")
    assert page.status == 200
    assert page.header("Content-Type").startswith("text/html")
    assert dreq(port, "GET", "/tasks/index.html").body == page.body
    assert dreq(port, "GET", "/").status == 404
    assert dreq(port, "GET", "/index.html").status == 404
    assert dreq(port, "GET", "/api/session").status == 404
    s = dreq(port, "GET", "/tasks/api/session")
    assert s.status == 200 and s.json["auth_required"] is False
    q = dreq(port, "GET", "/tasks/api/v1/queues")
    assert q.status == 200, q
    assert {x["name"] for x in q.json["queues"]} >= {"critical", "default",
                                                     "low"}
    # The cookie's path is the base path.
    d2, port2 = start_dash(start_daemon, {
        "dashboard.base_path": "/ops/td/",
        "dashboard.users": f"alice:{crypt_hash(PASSWORD)}"})
    resp = dreq(port2, "POST", "/ops/td/api/login",
                {"user": "alice", "password": PASSWORD})
    assert resp.status == 200
    assert "Path=/ops/td/;" in resp.header("Set-Cookie")


def test_session_open(start_daemon):
    d, port = start_dash(start_daemon)
    resp = dreq(port, "GET", "/api/session")
    assert resp.status == 200
    s = resp.json
    assert s["auth_required"] is False and s["logged_in"] is True
    assert s["user"] is None and s["read_only"] is False
    assert re.match(r"^\d+\.\d+", s["version"]), s
    assert dreq(port, "POST", "/api/session", b"").status == 405
    assert dreq(port, "GET", "/api/login").status == 405
    # Open: the API through the dashboard needs no login, but a change
    # still needs the CSRF header (a page elsewhere could post here).
    assert dreq(port, "GET", "/api/v1/stats").status == 200
    resp = dreq(port, "POST", "/api/v1/queues/low:pause", b"")
    assert resp.status == 403, resp
    resp = dreq(port, "POST", "/api/v1/queues/low:pause", b"",
                {"X-TD-CSRF": "1"})
    assert resp.status == 200, resp


def test_login_user_cookie_csrf_logout(start_daemon):
    d, port = start_dash(start_daemon, {
        "dashboard.users": f"alice:{crypt_hash(PASSWORD)}"})
    s = dreq(port, "GET", "/api/session").json
    assert s["auth_required"] is True and s["logged_in"] is False
    assert s["user"] is None
    resp = dreq(port, "GET", "/api/v1/queues")
    assert resp.status == 401, resp
    assert resp.json["error"]["status"] == "UNAUTHENTICATED"
    # Wrong password, unknown user: the same answer.
    bad = dreq(port, "POST", "/api/login",
               {"user": "alice", "password": "wrong"})
    assert bad.status == 401 and bad.header("Set-Cookie") is None
    unknown = dreq(port, "POST", "/api/login",
                   {"user": "mallory", "password": PASSWORD})
    assert unknown.status == 401
    assert unknown.json == bad.json
    assert dreq(port, "POST", "/api/login", b"nonsense").status == 400
    wait_for(lambda: re.search(r"login failed user=alice "
                               r"peer=127\.0\.0\.1:\d+", d.log()))
    assert "login failed user=mallory" in d.log()
    assert "wrong" not in d.log()

    resp, cookie = login(port, user="alice", password=PASSWORD)
    assert resp.json == {"user": "alice", "read_only": False}
    sc = resp.header("Set-Cookie")
    assert cookie.startswith("td_session=alice.")
    for attr in ("Path=/;", "HttpOnly", "SameSite=Strict",
                 "Max-Age=43200"):
        assert attr in sc, sc
    assert PASSWORD not in d.log()
    assert "Secure" not in sc
    # Behind a proxy that terminates TLS, the cookie is for https only.
    resp = dreq(port, "POST", "/api/login", {"user": "alice",
                                            "password": PASSWORD},
                {"X-Forwarded-Proto": "https"})
    assert resp.status == 200
    assert "; Secure" in resp.header("Set-Cookie")
    s = dreq(port, "GET", "/api/session", headers={"Cookie": cookie}).json
    assert s["logged_in"] is True and s["user"] == "alice"
    resp = dreq(port, "GET", "/api/v1/queues", headers={"Cookie": cookie})
    assert resp.status == 200, resp
    # Cookie among others, as a browser sends it.
    resp = dreq(port, "GET", "/api/v1/stats",
                headers={"Cookie": f"a=1; {cookie}; b=2"})
    assert resp.status == 200
    # A mutation by cookie needs the CSRF header.
    resp = dreq(port, "POST", "/api/v1/queues/low:pause", b"",
                {"Cookie": cookie})
    assert resp.status == 403, resp
    assert resp.json["error"]["status"] == "PERMISSION_DENIED"
    resp = dreq(port, "POST", "/api/v1/queues/low:pause", b"",
                {"Cookie": cookie, "X-TD-CSRF": "1"})
    assert resp.status == 200, resp
    # A forged or altered cookie is nobody's.
    user, exp, mac = cookie.split("=", 1)[1].rsplit(".", 2)
    for forged in (f"bob.{exp}.{mac}", f"alice.{int(exp) + 1}.{mac}",
                   f"alice.{exp}.{'0' * 64}", "alice", ""):
        resp = dreq(port, "GET", "/api/v1/stats",
                    headers={"Cookie": f"td_session={forged}"})
        assert resp.status == 401, forged
    # Logout clears the cookie.
    resp = dreq(port, "POST", "/api/logout", b"",
                {"Cookie": cookie, "X-TD-CSRF": "1"})
    assert resp.status == 200 and resp.json == {}
    sc = resp.header("Set-Cookie")
    assert sc.startswith("td_session=;") and "Max-Age=0" in sc
    # The files need no login: the page shows the login form itself.
    assert dreq(port, "GET", "/").status == 200


def test_login_with_api_token(start_daemon):
    d, port = start_dash(start_daemon, {"server.api_tokens": TOKEN})
    # Tokens alone make login required.
    s = dreq(port, "GET", "/api/session").json
    assert s["auth_required"] is True and s["logged_in"] is False
    assert dreq(port, "GET", "/api/v1/stats").status == 401
    assert dreq(port, "POST", "/api/login",
                {"token": TOKEN + "x"}).status == 401
    assert dreq(port, "POST", "/api/login",
                {"user": "token", "password": TOKEN}).status == 401
    resp, cookie = login(port, token=TOKEN)
    assert resp.json["user"] == "token"
    assert TOKEN not in cookie
    s = dreq(port, "GET", "/api/session", headers={"Cookie": cookie}).json
    assert s["logged_in"] is True and s["user"] == "token"
    assert dreq(port, "GET", "/api/v1/stats",
                headers={"Cookie": cookie}).status == 200
    # A bearer token works without a cookie, and needs no CSRF header.
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert dreq(port, "GET", "/api/v1/stats", headers=auth).status == 200
    assert dreq(port, "POST", "/api/v1/queues/low:pause", b"",
                auth).status == 200
    assert dreq(port, "GET", "/api/v1/stats", headers={
        "Authorization": "Bearer wrong", "Cookie": cookie}).status == 401
    # The API's own port still wants its token.
    assert d.request("GET", "/v1/stats").status == 401


def test_read_only(start_daemon):
    d, port = start_dash(start_daemon, {"dashboard.read_only": "yes"})
    tid = d.enqueue("http://127.0.0.1:1/x").json["task_id"]
    assert dreq(port, "GET", "/api/session").json["read_only"] is True
    assert dreq(port, "GET", "/api/v1/queues").status == 200
    assert dreq(port, "GET", f"/api/v1/tasks/{tid}").status == 200
    # HEAD is not a change (the API answers it as it does).
    assert dreq(port, "HEAD", "/api/v1/stats").status != 403
    for method, path in (("POST", "/api/v1/queues/low:pause"),
                         ("POST", f"/api/v1/tasks/{tid}:retry"),
                         ("DELETE", f"/api/v1/tasks/{tid}"),
                         ("POST", "/api/v1/enqueue")):
        resp = dreq(port, method, path, b"{}", {"X-TD-CSRF": "1"})
        assert resp.status == 403, (method, path, resp)
        assert resp.json == {"error": {
            "code": 403, "status": "PERMISSION_DENIED",
            "message": "the dashboard is read-only"}}
    assert dreq(port, "GET", f"/api/v1/tasks/{tid}").status == 200
    # The API itself is not read-only.
    assert d.request("DELETE", f"/v1/tasks/{tid}").status == 200


def test_redaction(start_daemon, r):
    d, port = start_dash(start_daemon, {
        "dashboard.redact_headers": "x-api-key *token* x-custom-*"})
    headers = {"Authorization": "Bearer s3cr3t-a", "Cookie": "sid=s3cr3t-b",
               "X-Api-Key": "s3cr3t-c", "X-Refresh-Token": "s3cr3t-d",
               "X-Custom-Sig": "s3cr3t-e", "Content-Type": "text/plain",
               "X-Trace": "visible-1"}
    tid = d.enqueue("http://127.0.0.1:1/r", headers=headers,
                    delay=3600).json["task_id"]
    raw = d.request("GET", f"/v1/tasks/{tid}").json
    assert raw["headers"]["X-Api-Key"] == "s3cr3t-c"
    one = dreq(port, "GET", f"/api/v1/tasks/{tid}")
    assert one.status == 200
    assert b"s3cr3t" not in one.body, one.body
    h = one.json["headers"]
    for name in ("Authorization", "Cookie", "X-Api-Key", "X-Refresh-Token",
                 "X-Custom-Sig"):
        assert h[name] == "<redacted>", (name, h)
    assert h["Content-Type"] == "text/plain" and h["X-Trace"] == "visible-1"
    assert one.json["id"] == tid and one.json["state"] == "scheduled"
    alt = dreq(port, "GET", f"/api/v1/queues/default/tasks/{tid}")
    assert alt.status == 200 and b"s3cr3t" not in alt.body
    lst = dreq(port, "GET", "/api/v1/queues/default/tasks?state=scheduled")
    assert lst.status == 200
    assert [t["id"] for t in lst.json["tasks"]] == [tid]
    assert b"s3cr3t" not in lst.body, lst.body
    for t in lst.json["tasks"]:
        if "headers" in t:
            assert t["headers"]["Authorization"] == "<redacted>"
    # Redis and the API keep the real values.
    assert "s3cr3t-a" in r.hgetall(task_key("default", tid))["headers"]


def test_forwarding_actions(start_daemon, target, r):
    target.plan("/dead", [{"status": 500}, {"status": 200}])
    d, port = start_dash(start_daemon, {"workers.count": 1,
                                        "dispatch.max_retries": 0})
    csrf = {"X-TD-CSRF": "1"}
    tid = d.enqueue(target.url("/dead")).json["task_id"]
    wait_state(r, "default", tid, "dead", timeout=15)
    resp = dreq(port, "GET", "/api/v1/queues/default/tasks?state=dead")
    assert [t["id"] for t in resp.json["tasks"]] == [tid]
    resp = dreq(port, "POST", f"/api/v1/tasks/{tid}:retry", b"", csrf)
    assert resp.status == 200, resp
    assert resp.json == {"task_id": tid, "queue": "default",
                         "state": "pending"}
    target.wait_count(2, path="/dead")
    wait_state(r, "default", tid, "done")
    # Delete, and the API's own errors come through as they are.
    resp = dreq(port, "DELETE", f"/api/v1/tasks/{tid}", None, csrf)
    assert resp.status == 200 and resp.json == {}
    assert where(r, "default", tid) == []
    resp = dreq(port, "DELETE", f"/api/v1/tasks/{tid}", None, csrf)
    assert resp.status == 404 and resp.json["error"]["status"] == \
        "NOT_FOUND"
    # Pause and resume, seen by the API.
    assert dreq(port, "POST", "/api/v1/queues/low:pause", b"",
                csrf).status == 200
    q = d.request("GET", "/v1/queues/low").json
    assert q["state"] == "paused"
    assert dreq(port, "POST", "/api/v1/queues/low:resume", b"",
                csrf).status == 200
    assert d.request("GET", "/v1/queues/low").json["state"] == "running"
    # Bulk, with a body, and the query string passed on.
    ids = [d.enqueue("http://127.0.0.1:1/x", delay=3600,
                     queue="low").json["task_id"] for _ in range(3)]
    resp = dreq(port, "GET",
                "/api/v1/queues/low/tasks?state=scheduled&page_size=2")
    assert len(resp.json["tasks"]) == 2 and resp.json["next_page_token"]
    resp = dreq(port, "POST", "/api/v1/queues/low/tasks:delete",
                {"ids": ids[:2]}, csrf)
    assert resp.status == 200, resp
    assert where(r, "low", ids[2]) == ["scheduled"]
    # The enqueue form's request.
    resp = dreq(port, "POST", "/api/v1/enqueue",
                {"task": {"url": "http://127.0.0.1:1/f"}, "queue": "low"},
                csrf)
    assert resp.status == 200 and resp.json["queue"] == "low", resp
    assert dreq(port, "GET", "/api/v1/nope").status == 404
    assert dreq(port, "PUT", "/api/v1/queues", b"", csrf).status == 405


def test_dashboard_off(start_daemon):
    # tdlib's base config turns it off.
    d = start_daemon()
    wait_for(lambda: "listening on" in d.log())
    assert len(re.findall(r"listening on ", d.log())) == 1
    assert "8081" not in d.log()


def test_bind_failure_is_start_error(start_daemon, tdir, binary, redis):
    d, port = start_dash(start_daemon)
    # Another daemon asking for the same dashboard port cannot start.
    from tdlib import Daemon
    other = Daemon(binary, tdir, "other", redis.sock,
                   {"dashboard.listen": f"127.0.0.1:{port}"})
    other.start(wait=False)
    try:
        rc = other.wait_exit(20)
        assert rc == 1, rc
        assert f"listen on 127.0.0.1:{port}" in other.log()
    finally:
        other.stop()


def test_sighup_keeps_serving_and_sessions(start_daemon):
    hash_ = crypt_hash(PASSWORD)
    d, port = start_dash(start_daemon, {"dashboard.users": f"alice:{hash_}"})
    _, cookie = login(port, user="alice", password=PASSWORD)
    d.sighup()
    wait_for(lambda: "reload: config OK, generation 2" in d.log())
    assert dreq(port, "GET", "/").status == 200
    assert dreq(port, "GET", "/api/v1/stats",
                headers={"Cookie": cookie}).status == 200
    # A new port on reload: the new one serves, the session still holds.
    port2 = free_port()
    d.write_config({"dashboard.listen": f"127.0.0.1:{port2}",
                    "dashboard.users": f"alice:{hash_}",
                    "workers.count": 0})
    d.sighup()
    wait_for(lambda: "reload: config OK, generation 3" in d.log())
    assert dreq(port2, "GET", "/api/v1/stats",
                headers={"Cookie": cookie}).status == 200
    # A changed password ends the sessions made with the old one.
    d.write_config({"dashboard.listen": f"127.0.0.1:{port2}",
                    "dashboard.users": f"alice:{crypt_hash('new one')}",
                    "workers.count": 0})
    d.sighup()
    wait_for(lambda: "reload: config OK, generation 4" in d.log())
    assert dreq(port2, "GET", "/api/v1/stats",
                headers={"Cookie": cookie}).status == 401
    # A bad [dashboard] value is refused with its line; the old serves.
    d.write_config(raw=render_conf({"dashboard": {
        "listen": f"127.0.0.1:{port2}", "base_path": "a b"}}))
    d.sighup()
    wait_for(lambda: re.search(r"reload: \S+:\d+: \[dashboard\] base_path: "
                               r"invalid path 'a b'", d.log()))
    assert dreq(port2, "GET", "/").status == 200


@pytest.mark.parametrize("key,value,want", [
    ("base_path", "/a/../b", "[dashboard] base_path: invalid path"),
    ("base_path", "x?y", "[dashboard] base_path: invalid path"),
    ("users", "alice", "[dashboard] users: user 1: want user:hash"),
    ("users", "alice:plain", "want a crypt(3) hash"),
    ("users", "token:$6$x$y", "reserved"),
    ("users", "a:$6$x$y a:$6$x$z", "listed twice"),
    ("read_only", "maybe", "[dashboard] read_only: invalid boolean"),
    ("redact_headers", "x-a;b", "[dashboard] redact_headers: invalid"),
    ("session_timeout", "10s", "[dashboard] session_timeout: 10s is out"),
    ("listen", "nonsense", "[dashboard] listen: invalid address"),
    ("users_file", "/nonexistent", "[dashboard] users_file: "),
])
def test_bad_config(tdir, binary, key, value, want):
    conf = os.path.join(str(tdir), "bad.conf")
    with open(conf, "w") as f:
        f.write(render_conf({"server": {"listen": f"127.0.0.1:"
                                                  f"{closed_port()}"},
                             "dashboard": {key: value}}))
    p = subprocess.run([binary, "-t", "-c", conf], capture_output=True,
                       timeout=10)
    assert p.returncode != 0, p.stderr.decode()
    err = p.stderr.decode()
    assert re.search(r"bad\.conf:\d+: ", err), err
    assert want in err, err


def test_users_file_and_dump(tdir, binary):
    users = os.path.join(str(tdir), "users")
    with open(users, "w") as f:
        f.write(f"# operators\n\nbob:{crypt_hash('pw')}\n")
    conf = os.path.join(str(tdir), "td.conf")
    with open(conf, "w") as f:
        f.write(render_conf({"dashboard": {
            "users": f"alice:{crypt_hash('pw')}", "users_file": users,
            "base_path": "tasks", "read_only": "on"}}))
    p = subprocess.run([binary, "-t", "-v", "-c", conf], capture_output=True,
                       timeout=10)
    assert p.returncode == 0, p.stderr.decode()
    out = p.stdout.decode() + p.stderr.decode()
    assert "[dashboard]" in out
    assert ";users = (1 user, not shown)" in out
    assert "base_path = /tasks/" in out and "read_only = yes" in out
    assert "$6$" not in out
    assert "listen = 127.0.0.1:8081" in out
    assert "session_timeout = 12h" in out


def test_signal_hup_pid_is_master(start_daemon):
    # Guard against a reload that leaves the dashboard socket to nobody:
    # after a HUP that changes nothing, exactly one listener serves it.
    d, port = start_dash(start_daemon)
    d.sighup()
    wait_for(lambda: "reload: config OK, generation 2" in d.log())
    wait_for(lambda: len(d.pids("listener")) == 1)
    for _ in range(5):
        assert dreq(port, "GET", "/api/session").status == 200
