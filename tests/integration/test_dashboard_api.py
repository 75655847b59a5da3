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
    # At notice: an operator's business, not a fault of the daemon.
    wait_for(lambda: re.search(r"notice: dashboard: login failed user=alice "
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


def test_login_bounds_and_rate(start_daemon):
    """What an unauthenticated client can make the listener hash is
    bounded: a login must be JSON, short, with a short password, and
    password logins share a token bucket (429 past it).  SHA-512 crypt
    hashes the password once per round: a long one would hold the loop
    that also serves the API for seconds."""
    d, port = start_dash(start_daemon, {
        "dashboard.users": f"alice:{crypt_hash(PASSWORD)}",
        "server.api_tokens": TOKEN})
    # Not JSON (a cross-site form can post text/plain): refused.
    resp = dreq(port, "POST", "/api/login",
                b'{"user":"alice","password":"x"}',
                {"Content-Type": "text/plain"})
    assert resp.status == 400, resp
    assert "application/json" in resp.json["error"]["message"]
    # A body past 4 KB: 413, never parsed.
    resp = dreq(port, "POST", "/api/login",
                {"user": "alice", "password": "p" * 5000})
    assert resp.status == 413, resp
    assert resp.json["error"]["code"] == 413
    # A password past 1 KB is wrong without being hashed.
    resp = dreq(port, "POST", "/api/login",
                {"user": "alice", "password": "p" * 2000})
    assert resp.status == 401, resp
    # A megabyte, as max_body allows elsewhere: 413 too.
    resp = dreq(port, "POST", "/api/login",
                {"user": "nobody", "password": "p" * 1000000})
    assert resp.status == 413, resp
    # The bucket: 20 at once, then 5 a second.
    statuses = [dreq(port, "POST", "/api/login",
                     {"user": "alice", "password": f"guess{i}"}).status
                for i in range(40)]
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(429) > 0, statuses
    limited = dreq(port, "POST", "/api/login",
                   {"user": "alice", "password": "guess"})
    if limited.status == 429:
        assert limited.header("Retry-After") == "1"
        assert limited.json["error"]["status"] == "RESOURCE_EXHAUSTED"
    # Tokens are compared, not hashed: never limited.
    resp, cookie = login(port, token=TOKEN)
    assert resp.json["user"] == "token"
    wait_for(lambda: "dashboard: too many logins; refusing some" in d.log())
    assert "guess" not in d.log() and PASSWORD not in d.log()
    # The bucket refills: alice gets in again.
    wait_for(lambda: dreq(port, "POST", "/api/login", {
        "user": "alice", "password": PASSWORD}).status == 200)


def test_bearer_with_junk_is_refused(start_daemon):
    d, port = start_dash(start_daemon, {"server.api_tokens": TOKEN})
    for value in (f"Bearer {TOKEN} extra", f"Bearer {TOKEN}x", "Bearer",
                  f"Basic {TOKEN}"):
        resp = dreq(port, "GET", "/api/v1/stats",
                    headers={"Authorization": value})
        assert resp.status == 401, (value, resp)
    assert dreq(port, "GET", "/api/v1/stats", headers={
        "Authorization": f"bearer  {TOKEN} "}).status == 200


def test_session_timeout_cut_ends_longer_sessions(start_daemon):
    """A session made under a longer session_timeout ends when a reload
    cuts it: its expiry is more than the new timeout ahead."""
    hash_ = crypt_hash(PASSWORD)
    d, port = start_dash(start_daemon, {"dashboard.users": f"alice:{hash_}"})
    _, cookie = login(port, user="alice", password=PASSWORD)
    d.write_config({"dashboard.listen": f"127.0.0.1:{port}",
                    "dashboard.users": f"alice:{hash_}",
                    "dashboard.session_timeout": "1m",
                    "workers.count": 0})
    d.sighup()
    wait_for(lambda: "reload: config OK, generation 2" in d.log())
    wait_for(lambda: dreq(port, "GET", "/api/v1/stats",
                          headers={"Cookie": cookie}).status == 401)
    _, fresh = login(port, user="alice", password=PASSWORD)
    assert "Max-Age=60" in dreq(port, "POST", "/api/login", {
        "user": "alice", "password": PASSWORD}).header("Set-Cookie")
    assert dreq(port, "GET", "/api/v1/stats",
                headers={"Cookie": fresh}).status == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE",
                                    "OPTIONS", "PURGE", "MKCOL", "LOCK"])
def test_read_only_every_method(start_daemon, r, method):
    """Every method but GET and HEAD is refused in read-only mode, with a
    bearer token (no CSRF needed) too, whatever the path."""
    d, port = start_dash(start_daemon, {"dashboard.read_only": "yes",
                                        "server.api_tokens": TOKEN})
    auth = {"Authorization": f"Bearer {TOKEN}", "X-TD-CSRF": "1"}
    tid = d.request("POST", "/v1/enqueue", {"task": {
        "url": "http://127.0.0.1:1/x"}, "delay": 3600},
        auth).json["task_id"]
    for path in ("/api/v1/queues/default:pause", f"/api/v1/tasks/{tid}",
                 f"/api/v1/tasks/{tid}:retry",
                 "/api/v1/queues/default/tasks:delete?x=1",
                 "/api/v1/queues/default:purge", "/api/v1/enqueue"):
        resp = dreq(port, method, path, b'{"state":"scheduled"}', auth)
        assert resp.status == 403, (method, path, resp)
        assert resp.json["error"]["status"] == "PERMISSION_DENIED"
    assert r.hgetall(task_key("default", tid))
    q = dreq(port, "GET", "/api/v1/queues/default", headers=auth).json
    assert q.get("state", "running") != "paused", q


def test_no_way_around_base_path_or_to_other_routes(start_daemon):
    """Only base_path + api/v1/ reaches the API, and only its /v1 routes:
    not /health, /metrics or /v2, however the path is spelt."""
    d, port = start_dash(start_daemon, {"dashboard.base_path": "/tasks/",
                                        "server.api_tokens": TOKEN})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert dreq(port, "GET", "/tasks/api/v1/stats",
                headers=auth).status == 200
    for path in ("/api/v1/stats", "/tasksX/api/v1/stats",
                 "/tasks/../tasks/api/v1/stats", "/tasks//api/v1/stats",
                 "/tasks/%61pi/v1/stats", "/tasks/api%2Fv1/stats",
                 "/tasks/api/v1/../../../health", "/tasks/api/v1/../metrics",
                 "/tasks/api/v1//health", "/tasks/api/v1/%2e%2e/metrics",
                 "/tasks/api/v1/../v2/projects/p/locations/l/queues",
                 "/tasks/api/v1/projects/p/locations/l",
                 "/tasks/api/v1/queues/%64efault", "/TASKS/api/v1/stats",
                 "/tasks/api/V1/stats", "/health", "/metrics",
                 "/tasks/api/health", "/tasks/health", "/tasks/metrics"):
        resp = dreq(port, "GET", path, headers=auth)
        assert resp.status == 404, (path, resp)
        assert resp.json["error"]["status"] == "NOT_FOUND", (path, resp)
        assert b"taskdispatcher_" not in resp.body


def test_redaction_all_answers(start_daemon, r):
    """Masked in every answer that carries the task's headers, whatever
    the case of the header's name, and never in Redis."""
    d, port = start_dash(start_daemon, {
        "dashboard.redact_headers": "*secret*"})
    headers = {"authorization": "s3cr3t-a", "COOKIE": "s3cr3t-b",
               "X-My-SeCrEt": "s3cr3t-c", "X-Fine": "ok"}
    tid = d.enqueue("http://127.0.0.1:1/r", headers=headers,
                    delay=3600).json["task_id"]
    for path in (f"/api/v1/tasks/{tid}",
                 f"/api/v1/queues/default/tasks/{tid}",
                 "/api/v1/queues/default/tasks?state=scheduled",
                 "/api/v1/queues/default", "/api/v1/queues",
                 "/api/v1/stats"):
        resp = dreq(port, "GET", path)
        assert resp.status == 200, (path, resp)
        assert b"s3cr3t" not in resp.body, (path, resp.body)
    h = dreq(port, "GET", f"/api/v1/tasks/{tid}").json["headers"]
    assert {k.lower(): v for k, v in h.items()} == {
        "authorization": "<redacted>", "cookie": "<redacted>",
        "x-my-secret": "<redacted>", "x-fine": "ok"}
    # The answers of actions that name the task carry no secret either.
    csrf = {"X-TD-CSRF": "1"}
    for method, path, body in (
            ("POST", f"/api/v1/tasks/{tid}:retry", b""),
            ("POST", "/api/v1/queues/default/tasks:retry",
             b'{"ids":["%s"]}' % tid.encode()),
            ("DELETE", f"/api/v1/tasks/{tid}", b"")):
        resp = dreq(port, method, path, body, csrf)
        assert b"s3cr3t" not in resp.body, (path, resp.body)
    assert d.request("GET", "/health").status == 200


def test_embed_assets_reproducible_and_names(srcdir, tdir):
    """build-aux/embed-assets: the same bytes whatever the directory it
    runs from and the order its files come in; a blank in a directory's
    name is no problem; a name that cannot be served as it is (a blank,
    a quote, a glob character, a leading dot), a missing file and two
    files of one name stop it; editor leftovers are left out."""
    script = os.path.join(srcdir, "build-aux/embed-assets")
    d = os.path.join(str(tdir), "in dir")
    os.makedirs(os.path.join(d, "sub"))
    for name, data in (("b.js", b"x"), ("a.css", b"\x00\xff\n"),
                       ("empty.txt", b""), ("c.svg~", b"old")):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    def run(out, files, cwd=None):
        return subprocess.run(["sh", script, out] + files, cwd=cwd,
                              capture_output=True)

    files = [os.path.join(d, n) for n in ("b.js", "a.css", "empty.txt",
                                          "c.svg~", "sub")]
    one, two = (os.path.join(str(tdir), n) for n in ("one.c", "two.c"))
    assert run(one, files).returncode == 0
    rel = [os.path.relpath(f, d) for f in reversed(files)]
    assert run(two, rel, cwd=d).returncode == 0
    text = open(one).read()
    assert text == open(two).read()
    assert [m for m in re.findall(r'\{ "([^"]+)"', text)] == [
        "a.css", "b.js", "empty.txt"]
    assert "c.svg" not in text and "in dir" not in text
    for bad in ("sp ace.js", 'q"uote.js', "*.js", ".hidden", "a$b.js"):
        p = os.path.join(d, bad)
        with open(p, "w") as f:
            f.write("x")
        res = run(one, [p])
        assert res.returncode == 65, (bad, res)
        assert b"want a name of" in res.stderr
        os.unlink(p)
    res = run(one, [os.path.join(d, "missing.js")])
    assert res.returncode == 66 and b"not a readable file" in res.stderr
    with open(os.path.join(d, "sub", "b.js"), "w") as f:
        f.write("y")
    res = run(one, [os.path.join(d, "b.js"), os.path.join(d, "sub", "b.js")])
    assert res.returncode == 65 and b"a second file named b.js" in res.stderr
    # A failed run leaves the last good output and no temporary file.
    assert open(one).read() == text
    assert not [f for f in os.listdir(str(tdir)) if ".tmp" in f]


def test_connection_gone_before_the_store_answers(start_daemon, r):
    """A dashboard request waiting for Redis whose client resets the
    connection: the request is cancelled (dash_cancel) and the answer
    that comes later goes nowhere.  Under the sanitizers a use after free
    in the wrapper would show here; in any build the listener lives on."""
    import socket
    import struct
    import time
    d, port = start_dash(start_daemon)
    tid = d.enqueue("http://127.0.0.1:1/x", delay=3600,
                    headers={"Authorization": "s3cr3t"}).json["task_id"]
    listener = d.pids("listener")
    reqs = [f"GET /api/v1/tasks/{tid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            "GET /api/v1/queues/default/tasks?state=scheduled HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\n\r\n",
            "GET /api/v1/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            "POST /api/v1/queues/default/tasks:retry HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "X-TD-CSRF: 1\r\nContent-Type: application/json\r\n"
            "Content-Length: 19\r\n\r\n{\"state\":\"retry\"}\r\n",
            "POST /api/v1/enqueue HTTP/1.1\r\nHost: 127.0.0.1\r\nX-TD-CSRF: 1\r\n"
            "Content-Length: 29\r\n\r\n{\"task\":{\"url\":\"http://a/b\"}}"]
    before = len(r.keys("*"))
    for rounds in range(3):
        r.execute("CLIENT", "PAUSE", "1000", "ALL")
        socks = []
        for raw in reqs:
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(raw.encode())
            socks.append(s)
        # Nothing to poll: the listener reads and asks Redis, which holds
        # the question.  Then each client resets (the listener sees the
        # error at once) while its request waits.
        time.sleep(0.3)
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            s.close()
    wait_for(lambda: dreq(port, "GET", f"/api/v1/tasks/{tid}").status
             == 200)
    # The enqueues ran though no one was left to hear: they were pending.
    wait_for(lambda: len(r.keys("*")) > before)
    assert "/api/v1/enqueue" not in d.log()
    resp = dreq(port, "GET", f"/api/v1/tasks/{tid}")
    assert b"s3cr3t" not in resp.body
    assert d.pids("listener") == listener
    assert "AddressSanitizer" not in d.log()
    assert "runtime error" not in d.log()


def test_logout_wants_csrf_and_answers_are_not_cached(start_daemon):
    """Logout is a POST under api/ like the rest: without X-TD-CSRF a page
    elsewhere could log the operator out.  Every forwarded answer says
    no-store and nosniff: task bodies stay out of caches."""
    d, port = start_dash(start_daemon, {
        "dashboard.users": f"alice:{crypt_hash(PASSWORD)}"})
    _, cookie = login(port, user="alice", password=PASSWORD)
    resp = dreq(port, "POST", "/api/logout", b"", {"Cookie": cookie})
    assert resp.status == 403, resp
    assert resp.header("Set-Cookie") is None
    assert resp.json["error"]["message"] == "missing X-TD-CSRF: 1 header"
    for path in ("/api/v1/stats", "/api/v1/tasks/nosuch",
                 "/api/v1/queues/nosuch"):
        resp = dreq(port, "GET", path, headers={"Cookie": cookie})
        assert resp.header("Cache-Control") == "no-store", (path, resp)
        assert resp.header("X-Content-Type-Options") == "nosniff"
    # An answer with headers of its own keeps them (405: Allow).
    resp = dreq(port, "PUT", "/api/v1/stats", b"",
                {"Cookie": cookie, "X-TD-CSRF": "1"})
    assert resp.status == 405 and resp.header("Allow") == "GET"
    assert resp.header("Cache-Control") == "no-store"


def test_dashboard_takes_a_quarter_of_max_connections(start_daemon):
    """A flood on the dashboard's port leaves the API its room: the
    dashboard's connections are held to a quarter of max_connections
    (here 2 of 8), and busy ones are never closed to make room."""
    import socket
    d, port = start_dash(start_daemon, {"server.max_connections": 8})
    held = []
    for _ in range(6):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n")  # unfinished
        held.append(s)

    def refused():
        n = 0
        for s in held:
            s.settimeout(0.05)
            try:
                if s.recv(1) == b"":
                    n += 1
            except socket.timeout:
                pass
            except OSError:
                n += 1
        return n >= 4
    wait_for(refused)
    # The API still has room for several at once.
    api = []
    for _ in range(5):
        c = socket.create_connection(("127.0.0.1", d.port))
        api.append(c)
    for c in api:
        c.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        c.settimeout(5)
        assert c.recv(12).startswith(b"HTTP/1.1 200")
        c.close()
    for s in held:
        s.close()
    wait_for(lambda: dreq(port, "GET", "/api/v1/stats").status == 200)


def test_open_dashboard_answers_only_to_local_names(start_daemon):
    """An open dashboard (no users, no tokens) answers only under
    localhost or an IP literal: a page elsewhere that points a name of
    its own at 127.0.0.1 (DNS rebinding) gets 403, even with the CSRF
    header it could then send.  allowed_hosts names the others."""
    d, port = start_dash(start_daemon)
    for host in ("evil.example", f"evil.example:{port}",
                 "127.0.0.1.nip.io"):
        r = dreq(port, "POST", "/api/v1/queues/default:pause", b"",
                 {"Host": host, "X-TD-CSRF": "1"})
        assert r.status == 403, (host, r)
        assert "allowed_hosts" in r.json["error"]["message"], r
        assert dreq(port, "GET", "/", headers={"Host": host}).status == 403
    assert d.request("GET", "/v1/queues/default").json["state"] == "running"
    for host in (f"127.0.0.1:{port}", "localhost", f"[::1]:{port}"):
        assert dreq(port, "GET", "/api/session",
                    headers={"Host": host}).status == 200, host

    d.write_config({"dashboard.listen": f"127.0.0.1:{port}",
                    "workers.count": 0,
                    "dashboard.allowed_hosts": "tasks.example.com"})
    d.sighup()
    wait_for(lambda: dreq(port, "GET", "/api/session", headers={
        "Host": "tasks.example.com"}).status == 200)
    assert dreq(port, "GET", "/api/session",
                headers={"Host": f"127.0.0.1:{port}"}).status == 403


def session_key_bytes(binary, pid):
    """The 32 bytes of dash.c's session_key in process pid, read through
    /proc/pid/mem at the symbol's offset from where the binary is mapped."""
    nm = subprocess.run(["nm", binary], capture_output=True, text=True,
                        check=True).stdout
    off = next(int(line.split()[0], 16) for line in nm.splitlines()
               if line.endswith(" session_key"))
    exe = os.path.realpath(binary)
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            fields = line.split()
            if fields[-1] == exe and int(fields[2], 16) == 0:
                base = int(fields[0].split("-")[0], 16)
                break
        else:
            raise AssertionError(f"{exe} not mapped in {pid}")
    with open(f"/proc/{pid}/mem", "rb") as f:
        f.seek(base + off)
        return f.read(32)


@pytest.mark.skipif(os.environ.get("TD_VALGRIND") == "1",
                    reason="under valgrind the process image is valgrind's")
def test_only_the_listener_and_master_keep_the_session_key(start_daemon,
                                                            binary):
    d, port = start_dash(start_daemon, {
        "workers.count": 2,
        "dashboard.users": "ops:" + crypt_hash(PASSWORD)})
    kids = d.wait_children(2)
    login(port, user="ops", password=PASSWORD)
    master = session_key_bytes(binary, d.proc.pid)
    assert master != bytes(32)
    for c in kids:
        key = session_key_bytes(binary, c.pid)
        if c.role == "listener":
            assert key == master
        else:
            assert key == bytes(32), (c.role, c.index)
