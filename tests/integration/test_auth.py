"""API tokens: with [server] api_tokens or api_token_file set, every
request but GET/HEAD /health needs "Authorization: Bearer <token>";
otherwise 401 UNAUTHENTICATED with WWW-Authenticate: Bearer.  The token
file is read again on SIGHUP.  Tokens never reach the log or -t -v."""

import os
import subprocess

from tdlib import assert_error_shape, render_conf, wait_for

TOK1 = "tok-one_AAAAAAAAAAAAAAAAAAAA"
TOK2 = "tok.two~BBBBBBBBBBBBBBBBBBBB=="


def bearer(tok):
    return {"Authorization": f"Bearer {tok}"}


def assert_401(resp):
    msg = assert_error_shape(resp, 401, "UNAUTHENTICATED")
    www = resp.header("WWW-Authenticate")
    assert www is not None and www.startswith("Bearer"), resp.headers
    return msg


def test_tokens_required(start_daemon, target):
    d = start_daemon({"server.api_tokens": f"{TOK1}, {TOK2}",
                      "workers.count": 1})
    body = {"task": {"url": target.url("/a")}}
    # /health stays open, for load balancers and probes.
    assert d.request("GET", "/health").status == 200
    assert d.request("HEAD", "/health").status == 200
    assert "missing" in assert_401(d.request("POST", "/v1/enqueue", body))
    for bad in ("Bearer wrong", f"Bearer {TOK1}x", f"Bearer {TOK1[:-1]}",
                f"Basic {TOK1}", f"Bearer {TOK1} extra", "Bearer",
                f"Bearer{TOK1}", f"Bearer {TOK1[:10]}"):
        assert_401(d.request("POST", "/v1/enqueue", body,
                             headers={"Authorization": bad}))
    # Not even the shape of the API shows without a token.
    assert_401(d.request("GET", "/no/such/thing"))
    assert_401(d.request("DELETE", "/health"))
    assert_401(d.request("GET", "/metrics"))
    assert d.request("GET", "/metrics", headers=bearer(TOK2)).status == 200
    r = d.request("POST", "/v1/enqueue", body, headers=bearer(TOK1))
    assert r.status == 200, r
    r = d.request("POST", "/v1/enqueue", body,
                  headers={"Authorization": f"bearer   {TOK2}"})
    assert r.status == 200, r
    target.wait_count(2, "/a")
    # A wrong route with a good token is an ordinary 404.
    assert d.request("GET", "/no/such/thing",
                     headers=bearer(TOK1)).status == 404
    log = d.log()
    assert TOK1 not in log and TOK2 not in log
    assert TOK1[:10] not in log


def test_no_tokens_open(start_daemon, target):
    d = start_daemon({"workers.count": 1})
    r = d.request("POST", "/v1/enqueue", {"task": {"url": target.url()}})
    assert r.status == 200, r


def test_token_file_and_reload(start_daemon, tdir, target):
    path = os.path.join(tdir, "tokens")
    with open(path, "w") as f:
        f.write(f"# api tokens\n\n  {TOK1}  \n")
    d = start_daemon({"server.api_token_file": path,
                      "server.api_tokens": TOK2, "workers.count": 1})
    body = {"task": {"url": target.url("/f")}}
    assert d.request("POST", "/v1/enqueue", body,
                     headers=bearer(TOK1)).status == 200
    assert d.request("POST", "/v1/enqueue", body,
                     headers=bearer(TOK2)).status == 200
    assert_401(d.request("POST", "/v1/enqueue", body))
    # Rotate: a new token in the file, the old one gone, then SIGHUP.
    new = "rotated-CCCCCCCCCCCCCCCCCCCC"
    with open(path, "w") as f:
        f.write(new + "\n")
    d.sighup()

    def rotated():
        ok = d.request("POST", "/v1/enqueue", body, headers=bearer(new))
        return ok.status == 200
    wait_for(rotated, 15, msg="new token accepted after SIGHUP")
    wait_for(lambda: d.request("POST", "/v1/enqueue", body,
                               headers=bearer(TOK1)).status == 401, 15,
             msg="old token refused after SIGHUP")
    assert TOK1 not in d.log() and new not in d.log()


def test_token_file_errors(binary, tdir):
    """A missing file, an empty one or a bad token is a config error:
    -t fails, and the daemon exits 78 without serving an open API."""
    conf = os.path.join(tdir, "td.conf")
    empty = os.path.join(tdir, "empty")
    bad = os.path.join(tdir, "bad")
    with open(empty, "w") as f:
        f.write("# nothing\n\n")
    with open(bad, "w") as f:
        f.write("has space inside\n")
    cases = [(os.path.join(tdir, "missing"), "No such file"),
             (empty, "no token"), (bad, "not a valid bearer token")]
    for path, want in cases:
        with open(conf, "w") as f:
            f.write(render_conf({"server": {"api_token_file": path,
                                            "listen": "127.0.0.1:1"}}))
        p = subprocess.run([binary, "-t", "-c", conf], capture_output=True,
                           timeout=10)
        assert p.returncode != 0
        assert want in p.stderr.decode(), p.stderr.decode()
        p = subprocess.run([binary, "-c", conf], capture_output=True,
                           timeout=10)
        assert p.returncode == 78, p.stderr.decode()
        assert "has space" not in p.stderr.decode()


def test_dump_redacts_tokens(binary, tdir):
    conf = os.path.join(tdir, "td.conf")
    with open(conf, "w") as f:
        f.write(render_conf({"server": {"api_tokens": f"{TOK1} {TOK2}"}}))
    p = subprocess.run([binary, "-t", "-v", "-c", conf], capture_output=True,
                       timeout=10)
    assert p.returncode == 0, p.stderr.decode()
    out = p.stdout.decode() + p.stderr.decode()
    assert TOK1 not in out and TOK2 not in out
    assert ";api_tokens = (2 tokens, not shown)" in out
    # A bad token is refused without being echoed.
    with open(conf, "w") as f:
        f.write(render_conf({"server": {"api_tokens": "ok-token bad\"tok"}}))
    p = subprocess.run([binary, "-t", "-c", conf], capture_output=True,
                       timeout=10)
    assert p.returncode != 0
    assert "token 2 is not a valid bearer token" in p.stderr.decode()
    assert "bad\"tok" not in p.stderr.decode()


def test_secrets_not_logged(start_daemon, target, r, redis):
    """With log_level = debug: an API token, a Redis password, a task's
    Authorization header and user:pass in its URL never reach the log,
    through a failed attempt, a retry and the delivery."""
    rpass = "redisPW-5ecret-DDDD"
    hdr = "Bearer task-header-5ecret-EEEE"
    upass = "url-5ecret-FFFF"
    r.execute("CONFIG", "SET", "requirepass", rpass)
    d = start_daemon({"server.api_tokens": TOK1, "server.log_level": "debug",
                      "redis.password": rpass, "workers.count": 1})
    target.plan_fail("/s", 1, status=500)
    url = target.url("/s").replace("http://", f"http://user:{upass}@")
    resp = d.request("POST", "/v1/enqueue",
                     {"task": {"url": url, "headers": {"Authorization": hdr,
                                                       "X-Api-Key": upass}}},
                     headers=bearer(TOK1))
    assert resp.status == 200, resp
    got = target.wait_count(2, "/s")
    assert got[-1].header("Authorization") == hdr
    assert_401(d.request("POST", "/v1/enqueue", {},
                         headers=bearer("wrong-" + TOK1)))
    d.sighup()
    wait_for(lambda: "reload" in d.log() and d.health() == 200, 15)
    log = d.log()
    assert "task retry" in log or "retry" in log, log[-2000:]
    for secret in (TOK1, rpass, hdr, "task-header-5ecret", upass):
        assert secret not in log, secret
