"""tdctl(1), the operator CLI: against the real daemon, Redis and a
recording target; and, for the request each command makes and how it
reports errors, against the recording target posing as the API."""

import json
import os
import re
import subprocess

import pytest

from tdlib import closed_port, task_key, wait_state

HERE = os.path.dirname(os.path.abspath(__file__))
ID_RE = re.compile(r"^[0-9a-f]{32}$")
CLEAN_ENV = ("TDCTL_SERVER", "TDCTL_TOKEN", "PORT", "http_proxy",
             "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
             "ALL_PROXY", "no_proxy", "NO_PROXY")


def tdctl_path():
    build = os.environ.get("TD_BUILDDIR")
    if build:
        return os.path.join(os.path.abspath(build), "tdctl")
    binary = os.environ.get("TD_BINARY")
    if binary:
        return os.path.join(os.path.dirname(os.path.abspath(binary)),
                            "tdctl")
    return os.path.join(HERE, "..", "..", "tdctl")


class Result:
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout.decode("utf-8", "replace")
        self.err = p.stderr.decode("utf-8", "replace")

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"<rc={self.rc} out={self.out[:800]!r} err={self.err[:800]!r}>"


@pytest.fixture
def tdctl():
    """tdctl(*args, server=URL, stdin=bytes, env={}) -> Result.  Standard
    input is /dev/null unless given, so never a terminal."""
    path = tdctl_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"no tdctl at {path} (set TD_BUILDDIR)")

    def run(*args, server=None, stdin=None, env=None):
        e = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
        e.update(env or {})
        cmd = [path] + (["-s", server] if server else []) + list(args)
        p = subprocess.run(cmd, input=stdin if stdin is not None else b"",
                           capture_output=True, timeout=60, env=e)
        res = Result(p)
        assert "Sanitizer" not in res.err and "runtime error" not in \
            res.err, res
        return res
    return run


def url_of(d):
    return f"http://127.0.0.1:{d.port}"


# ------------------------------------------------------------ usage, exit

@pytest.mark.parametrize("args", [
    [],
    ["frobnicate"],
    ["--no-such-flag", "stats"],
    ["stats", "extra"],
    ["tasks"],
    ["tasks", "default", "--state", "sleeping"],
    ["tasks", "default", "--limit", "zero"],
    ["stats", "--state", "dead"],
    ["task"],
    ["enqueue"],
    ["enqueue", "--url", "http://x/", "--header", "no colon"],
    ["enqueue", "--url", "http://x/", "--delay", "soon"],
    ["enqueue", "--url", "http://x/", "--delay", "-1"],
    ["enqueue", "--url", "http://x/", "--delay", ".5"],
    ["enqueue", "--url", "http://x/", "--delay", "1."],
    ["enqueue", "--url", "http://x/", "--delay", "1e3"],
    ["enqueue", "-", "--queue", "low"],
    ["enqueue", "file.json"],
    ["retry", "--all-dead", "--state", "retry", "default"],
    ["purge", "default"],
    ["-s", "ftp://127.0.0.1:1", "stats"],
], ids=lambda a: "_".join(a) or "none")
def test_usage_exit_64(tdctl, args):
    """Bad usage is 64 and says why, before any request (the server is a
    closed port: a request would be 2)."""
    res = tdctl(*args, server=f"http://127.0.0.1:{closed_port()}")
    assert res.rc == 64, res
    assert res.err.startswith("tdctl: ") or "usage" in res.err, res


def test_enqueue_stdin_not_json(tdctl):
    res = tdctl("enqueue", "-", stdin=b"{not json",
                server=f"http://127.0.0.1:{closed_port()}")
    assert res.rc == 64, res


def test_help_and_version(tdctl, srcdir):
    res = tdctl("-h")
    assert res.rc == 0 and res.out.startswith("usage: tdctl"), res
    with open(os.path.join(srcdir, "configure.ac")) as f:
        version = re.search(r"AC_INIT\(\[[^]]*\],\s*\[([^]]+)\]",
                            f.read()).group(1)
    res = tdctl("-V")
    assert res.rc == 0 and res.out.strip() == f"tdctl {version}", res


def test_unreachable_exit_2(tdctl):
    res = tdctl("stats", server=f"http://127.0.0.1:{closed_port()}")
    assert res.rc == 2, res
    assert "cannot reach" in res.err, res


# ------------------------------------------- requests, against the target

API = "http://127.0.0.1"

# (label, tdctl args, method, path, JSON body or None, canned answer)
MAPPING = [
    ("stats", ["stats"], "GET", "/v1/stats", None,
     {"queues": 3, "counts": {}, "totals": {}}),
    ("queues", ["queues"], "GET", "/v1/queues", None, {"queues": []}),
    ("one queue", ["queues", "low"], "GET", "/v1/queues/low", None,
     {"name": "low", "minutes": []}),
    ("tasks", ["tasks", "default"], "GET",
     "/v1/queues/default/tasks?state=pending", None, {"tasks": []}),
    ("tasks all flags", ["tasks", "low", "--state", "dead", "--limit",
                         "7", "--page-token", "a b&c", "--url", "x/y"],
     "GET", "/v1/queues/low/tasks?state=dead&page_size=7&"
     "page_token=a%20b%26c&url=x%2Fy", None, {"tasks": []}),
    ("task", ["task", "abc"], "GET", "/v1/tasks/abc", None, {"id": "abc"}),
    ("retry one", ["retry", "abc"], "POST", "/v1/tasks/abc:retry", None,
     {"task_id": "abc", "state": "pending"}),
    ("retry all dead", ["retry", "--all-dead", "default"], "POST",
     "/v1/queues/default/tasks:retry", {"state": "dead"}, {"retried": 2}),
    ("retry state", ["retry", "--state", "scheduled", "low"], "POST",
     "/v1/queues/low/tasks:retry", {"state": "scheduled"}, {"retried": 0}),
    ("delete one", ["delete", "abc"], "DELETE", "/v1/tasks/abc", None, {}),
    ("delete state", ["delete", "--state", "done", "low"], "POST",
     "/v1/queues/low/tasks:delete", {"state": "done"}, {"deleted": 1}),
    ("pause", ["pause", "low"], "POST", "/v1/queues/low:pause", None,
     {"name": "low", "state": "paused"}),
    ("resume", ["resume", "low"], "POST", "/v1/queues/low:resume", None,
     {"name": "low", "state": "running"}),
    ("purge", ["purge", "--yes", "low"], "POST", "/v1/queues/low:purge",
     None, {"deleted": 0}),
    ("odd queue name escaped", ["pause", "a/b c"], "POST",
     "/v1/queues/a%2Fb%20c:pause", None, {"name": "x"}),
    ("enqueue", ["enqueue", "--url", "http://t/h", "--queue", "low",
                 "--method", "PUT", "--header", "X-A:  1",
                 "--header", "X-B:two", "--body", "hi", "--delay", "1.5"],
     "POST", "/v1/enqueue",
     {"queue": "low", "delay": 1.5,
      "task": {"url": "http://t/h", "method": "PUT",
               "headers": {"X-A": "1", "X-B": "two"}, "body": "hi"}},
     {"status": "enqueued", "task_id": "abc", "queue": "low"}),
    ("enqueue defaults left to the daemon", ["enqueue", "--url", "http://t/"],
     "POST", "/v1/enqueue", {"task": {"url": "http://t/"}},
     {"status": "enqueued", "task_id": "abc", "queue": "default"}),
]


@pytest.mark.parametrize("label,args,method,path,body,answer", MAPPING,
                         ids=[m[0].replace(" ", "-") for m in MAPPING])
def test_request_mapping(tdctl, target, label, args, method, path, body,
                         answer):
    base = path.split("?", 1)[0]
    target.plan(base, [{"status": 200, "body": json.dumps(answer).encode(),
                        "headers": [("Content-Type",
                                     "application/json")]}])
    res = tdctl(*args, server=target.url("/"))
    assert res.rc == 0, res
    reqs = target.requests()
    assert len(reqs) == 1, reqs
    req = reqs[0]
    assert (req.method, req.path) == (method, path), req
    if body is None:
        assert req.body == b"", req.body
    else:
        assert json.loads(req.body) == body
        assert req.header("Content-Type") == "application/json"
    assert req.header("Authorization") is None


def test_json_prints_answer(tdctl, target):
    answer = {"queues": [{"name": "q/1", "state": "paused", "weight": 2}]}
    target.plan("/v1/queues", [{"status": 200,
                                "body": json.dumps(answer).encode()}])
    res = tdctl("--json", "queues", server=target.url())
    assert res.rc == 0, res
    assert res.json == answer
    assert "\n  " in res.out, "not indented"


def test_token_sent_never_printed(tdctl, target):
    target.plan("/v1/stats", [{"status": 401, "body":
                               b'{"error":{"code":401,"status":'
                               b'"UNAUTHENTICATED","message":"bad token"}}'}])
    res = tdctl("-t", "s3cret-flag", "stats", server=target.url())
    assert res.rc == 1, res
    res2 = tdctl("stats", server=target.url(),
                 env={"TDCTL_TOKEN": "s3cret-env"})
    assert res2.rc == 1, res2
    got = [r.header("Authorization") for r in target.requests()]
    assert got == ["Bearer s3cret-flag", "Bearer s3cret-env"], got
    for r in (res, res2):
        assert "s3cret" not in r.out + r.err, r
        assert "tdctl: 401 UNAUTHENTICATED: bad token" in r.err, r


def test_api_error_exit_1(tdctl, target):
    target.plan("/v1/tasks/nope", [{"status": 404, "body":
                                    b'{"error":{"code":404,"status":'
                                    b'"NOT_FOUND","message":"task \\"nope\\"'
                                    b': no such task\\n\\u001b[2J"}}'}])
    res = tdctl("task", "nope", server=target.url())
    assert res.rc == 1, res
    first = res.err.splitlines()[0]
    assert first.startswith('tdctl: 404 NOT_FOUND: task "nope": no such '
                            'task'), res
    assert "\x1b" not in res.err, "control characters reach the terminal"


def test_not_json_exit_1(tdctl, target):
    res = tdctl("stats", server=target.url())     # the target says "ok"
    assert res.rc == 1, res
    assert "not a JSON" in res.err, res


def test_server_from_env_and_config(tdctl, target, tdir):
    target.plan("/v1/stats", [{"status": 200, "body": b'{"queues":0}'}])
    assert tdctl("stats", env={"TDCTL_SERVER": target.url()}).rc == 0
    assert tdctl("stats", server=f":{target.port}").rc == 0
    assert tdctl("stats", server=f"127.0.0.1:{target.port}/").rc == 0
    conf = os.path.join(tdir, "td.conf")
    with open(conf, "w") as f:
        f.write(f"[server]\nlisten = 0.0.0.0:{target.port}\n")
    res = tdctl("-c", conf, "stats")
    assert res.rc == 0, res
    with open(conf, "w") as f:
        f.write("[server]\nlisten = 127.0.0.1:1\n")
    res = tdctl("-c", conf, "stats", env={"PORT": str(target.port)})
    assert res.rc == 0, res
    assert target.count("/v1/stats") == 5
    # -s wins over both.
    res = tdctl("-c", conf, "stats", server=target.url(),
                env={"TDCTL_SERVER": "http://127.0.0.1:1"})
    assert res.rc == 0, res
    with open(conf, "w") as f:
        f.write("[server]\nlisten = nonsense\n")
    res = tdctl("-c", conf, "stats")
    assert res.rc == 64 and f"{conf}:2" in res.err, res


# ------------------------------------------------- against the daemon

def test_enqueue_from_flags_delivered(start_daemon, target, tdctl):
    d = start_daemon({"workers.count": 1})
    res = tdctl("enqueue", "--queue", "low", "--url", target.url("/hook"),
                "--method", "PUT", "--header", "Content-Type: text/plain",
                "--header", "X-Trace: abc 123", "--body", "hello tdctl",
                server=url_of(d))
    assert res.rc == 0, res
    assert ID_RE.match(res.out.strip()), res
    req = target.wait_count(1, "/hook")[0]
    assert req.method == "PUT"
    assert req.header("Content-Type") == "text/plain"
    assert req.header("X-Trace") == "abc 123"
    assert req.body == b"hello tdctl"


def test_enqueue_from_stdin_delivered(start_daemon, target, tdctl):
    d = start_daemon({"workers.count": 1})
    seed = {"queue": "critical", "task": {
        "url": target.url("/seed"), "method": "POST",
        "headers": {"X-Seed": "1"}, "body": "{\"a\": [1, 2]}"}}
    res = tdctl("--json", "enqueue", "-", stdin=json.dumps(seed).encode(),
                server=url_of(d))
    assert res.rc == 0, res
    ans = res.json
    assert ans["status"] == "enqueued" and ans["queue"] == "critical"
    req = target.wait_count(1, "/seed")[0]
    assert req.method == "POST"
    assert req.header("X-Seed") == "1"
    assert req.body == b'{"a": [1, 2]}'


def test_enqueue_bad_task_is_api_error(start_daemon, tdctl):
    d = start_daemon({"workers.count": 0})
    res = tdctl("enqueue", "--url", "ftp://x/", server=url_of(d))
    assert res.rc == 1, res
    assert re.match(r"tdctl: 400 INVALID_ARGUMENT: task\.url", res.err), res


def test_queues_and_stats(start_daemon, target, tdctl):
    d = start_daemon({"workers.count": 0})
    srv = url_of(d)
    for _ in range(2):
        assert tdctl("enqueue", "--url", target.url("/q"),
                     server=srv).rc == 0
    res = tdctl("--json", "queues", server=srv)
    assert res.rc == 0, res
    qs = {q["name"]: q for q in res.json["queues"]}
    assert list(qs) == ["critical", "default", "low"]
    assert qs["default"]["counts"]["pending"] == 2
    assert qs["default"]["state"] == "running"
    res = tdctl("queues", server=srv)
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert lines[0].split()[:4] == ["QUEUE", "STATE", "WEIGHT", "PENDING"]
    row = {ln.split()[0]: ln.split() for ln in lines[1:]}
    assert row["default"][1:4] == ["running", "3", "2"], res.out
    assert row["critical"][1:4] == ["running", "6", "0"], res.out

    res = tdctl("--json", "queues", "default", server=srv)
    assert res.rc == 0, res
    assert res.json["name"] == "default" and len(res.json["minutes"]) == 60
    res = tdctl("queues", "default", server=srv)
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert lines[1].split()[:4] == ["default", "running", "3", "2"], res
    assert lines[3].split() == ["MINUTE", "PROCESSED", "FAILED"], res
    assert len(lines) == 4 + 60, res

    res = tdctl("--json", "stats", server=srv)
    assert res.rc == 0, res
    st = res.json
    assert st["queues"] == 3 and st["counts"]["pending"] == 2
    assert st["totals"]["enqueued"] >= 2
    res = tdctl("stats", server=srv)
    assert res.rc == 0, res
    assert re.search(r"^pending\s+2$", res.out, re.M), res.out
    assert re.search(r"^queues\s+3$", res.out, re.M), res.out


def test_tasks_and_task(start_daemon, target, tdctl):
    d = start_daemon({"workers.count": 0})
    srv = url_of(d)
    ids = []
    for i in range(3):
        res = tdctl("enqueue", "--url", target.url(f"/t{i}"), "--header",
                    "X-N: %d" % i, "--body", f"b{i}", server=srv)
        assert res.rc == 0, res
        ids.append(res.out.strip())
    later = tdctl("enqueue", "--url", target.url("/later"), "--delay",
                  "3600", server=srv).out.strip()

    res = tdctl("--json", "tasks", "default", server=srv)
    assert res.rc == 0, res
    assert [t["id"] for t in res.json["tasks"]] == ids   # oldest first
    res = tdctl("tasks", "default", server=srv)
    assert res.rc == 0, res
    assert res.out.splitlines()[0].split()[:2] == ["ID", "ATTEMPTS"]
    assert [ln.split()[0] for ln in res.out.splitlines()[1:]] == ids

    res = tdctl("--json", "tasks", "default", "--state", "scheduled",
                server=srv)
    assert res.rc == 0, res
    assert [t["id"] for t in res.json["tasks"]] == [later]
    assert "ETA" in tdctl("tasks", "default", "--state", "scheduled",
                          server=srv).out

    res = tdctl("--json", "tasks", "default", "--limit", "2", server=srv)
    assert res.rc == 0, res
    page = res.json
    assert [t["id"] for t in page["tasks"]] == ids[:2]
    res = tdctl("--json", "tasks", "default", "--limit", "2",
                "--page-token", page["next_page_token"], server=srv)
    assert [t["id"] for t in res.json["tasks"]] == ids[2:], res
    assert "--page-token" in tdctl("tasks", "default", "--limit", "2",
                                   server=srv).out

    res = tdctl("--json", "task", ids[1], server=srv)
    assert res.rc == 0, res
    t = res.json
    assert (t["id"], t["state"], t["url"], t["body"]) == \
        (ids[1], "pending", target.url("/t1"), "b1")
    assert t["headers"] == {"X-N": "1"}
    res = tdctl("task", ids[1], server=srv)
    assert res.rc == 0, res
    assert re.search(r"^state\s+pending$", res.out, re.M), res.out
    assert re.search(r"^header\s+X-N: 1$", res.out, re.M), res.out


def test_unknown_task_and_queue(start_daemon, tdctl):
    d = start_daemon({"workers.count": 0})
    res = tdctl("task", "0" * 32, server=url_of(d))
    assert res.rc == 1, res
    assert res.err.startswith("tdctl: 404 NOT_FOUND: "), res
    res = tdctl("tasks", "nosuchqueue", server=url_of(d))
    assert res.rc == 1, res
    assert res.err.startswith("tdctl: 404 NOT_FOUND: "), res
    assert "nosuchqueue" in res.err


def test_pause_resume(start_daemon, target, tdctl, r):
    d = start_daemon({"workers.count": 1})
    srv = url_of(d)
    res = tdctl("--json", "pause", "low", server=srv)
    assert res.rc == 0, res
    assert res.json["name"] == "low" and res.json["state"] == "paused"
    held = tdctl("enqueue", "--queue", "low", "--url", target.url("/held"),
                 server=srv).out.strip()
    # The worker is busy elsewhere meanwhile: the paused task stays.
    for i in range(5):
        assert tdctl("enqueue", "--queue", "critical", "--url",
                     target.url("/go"), server=srv).rc == 0
    target.wait_count(5, "/go")
    assert target.count("/held") == 0
    assert r.hgetall(task_key("low", held)).get("state") == "pending"
    row = [ln for ln in tdctl("queues", server=srv).out.splitlines()
           if ln.startswith("low ")]
    assert row and row[0].split()[1] == "paused", row
    res = tdctl("resume", "low", server=srv)
    assert res.rc == 0, res
    assert res.out.splitlines()[1].split()[:2] == ["low", "running"], res
    target.wait_count(1, "/held")


def test_retry_all_dead(start_daemon, target, tdctl, r):
    d = start_daemon({"workers.count": 1, "dispatch.max_retries": 0})
    srv = url_of(d)
    target.plan_status("/fail", 500)
    ids = [tdctl("enqueue", "--url", target.url("/fail"),
                 server=srv).out.strip() for _ in range(2)]
    for tid in ids:
        wait_state(r, "default", tid, "dead")
    res = tdctl("--json", "tasks", "default", "--state", "dead",
                server=srv)
    assert sorted(t["id"] for t in res.json["tasks"]) == sorted(ids), res
    assert all(t["last_status"] == 500 for t in res.json["tasks"])
    res = tdctl("task", ids[0], server=srv)
    assert re.search(r"^\s+1\s.*\s500\s", res.out, re.M), res.out

    target.plan_status("/fail", 200)
    res = tdctl("retry", "--all-dead", "default", server=srv)
    assert res.rc == 0, res
    assert res.out.strip() == "retried 2 dead tasks", res
    target.wait_count(4, "/fail")
    for tid in ids:
        wait_state(r, "default", tid, "done")


def test_retry_one_and_conflict(start_daemon, target, tdctl, r):
    d = start_daemon({"workers.count": 1, "dispatch.max_retries": 0})
    srv = url_of(d)
    target.plan("/once", [{"status": 503}, {"status": 200}])
    tid = tdctl("enqueue", "--url", target.url("/once"),
                server=srv).out.strip()
    wait_state(r, "default", tid, "dead")
    res = tdctl("--json", "retry", tid, server=srv)
    assert res.rc == 0, res
    assert res.json["task_id"] == tid and res.json["state"] == "pending"
    wait_state(r, "default", tid, "done")
    res = tdctl("retry", tid, server=srv)        # done: 409
    assert res.rc == 1, res
    assert res.err.startswith("tdctl: 409 FAILED_PRECONDITION: "), res


def test_delete(start_daemon, target, tdctl, r):
    d = start_daemon({"workers.count": 0})
    srv = url_of(d)
    ids = [tdctl("enqueue", "--url", target.url("/d"),
                 server=srv).out.strip() for _ in range(3)]
    res = tdctl("delete", ids[0], server=srv)
    assert res.rc == 0, res
    assert tdctl("task", ids[0], server=srv).rc == 1
    assert r.hgetall(task_key("default", ids[0])) == {}
    res = tdctl("--json", "delete", "--state", "pending", "default",
                server=srv)
    assert res.rc == 0, res
    assert res.json == {"deleted": 2}
    res = tdctl("--json", "tasks", "default", server=srv)
    assert res.json["tasks"] == [], res


def test_purge(start_daemon, target, tdctl, r):
    d = start_daemon({"workers.count": 0})
    srv = url_of(d)
    for delay in ("0", "0", "3600"):
        assert tdctl("enqueue", "--queue", "low", "--url", target.url("/p"),
                     "--delay", delay, server=srv).rc == 0
    keep = tdctl("enqueue", "--url", target.url("/keep"),
                 server=srv).out.strip()
    # Not a terminal and no --yes: nothing happens.
    res = tdctl("purge", "low", server=srv, stdin=b"y\n")
    assert res.rc == 64, res
    res = tdctl("--json", "queues", server=srv)
    low = [q for q in res.json["queues"] if q["name"] == "low"][0]
    assert low["counts"]["pending"] == 2 and low["counts"]["scheduled"] == 1

    res = tdctl("purge", "--yes", "low", server=srv)
    assert res.rc == 0, res
    assert res.out.strip() == "deleted 3 tasks", res
    res = tdctl("--json", "queues", server=srv)
    low = [q for q in res.json["queues"] if q["name"] == "low"][0]
    assert all(v == 0 for v in low["counts"].values()), low
    assert r.hgetall(task_key("default", keep)).get("state") == "pending"


def test_purge_asks_on_a_terminal(tdctl, target):
    """On a pty, purge asks; 'n' purges nothing and exits 1, 'y' purges."""
    import pty
    target.plan("/v1/queues/low:purge", [{"status": 200,
                                          "body": b'{"deleted":4}'}])
    path = tdctl_path()
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    for answer, rc, posts in ((b"n\n", 1, 0), (b"y\n", 0, 1)):
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(path, [path, "-s", target.url(), "purge", "low"], env)
        out = b""
        sent = False
        while True:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if not sent and b"[y/N]" in out:
                os.write(fd, answer)
                sent = True
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        assert sent, out
        assert os.waitstatus_to_exitcode(status) == rc, out
        assert target.count("/v1/queues/low:purge") == posts, out


def test_token_from_flag_env_or_config(start_daemon, tdctl):
    """-t, then TDCTL_TOKEN, then the first token of the configuration the
    server came from (-c): the daemon's own file serves both."""
    tok = "tdctl-tok_AAAAAAAAAAAAAAAA"
    d = start_daemon({"server.api_tokens": tok, "workers.count": 0})
    res = tdctl("queues", server=url_of(d))
    assert res.rc == 1 and "401" in res.err, res
    assert tdctl("queues", server=url_of(d), env={"TDCTL_TOKEN": tok}).rc == 0
    assert tdctl("-t", tok, "queues", server=url_of(d)).rc == 0
    res = tdctl("-c", d.conf_path, "queues")
    assert res.rc == 0, res
    assert tok not in res.out + res.err
    # A token given wins over the file's.
    res = tdctl("-c", d.conf_path, "-t", "wrong-token", "queues")
    assert res.rc == 1 and "401" in res.err, res
