"""The Cloud Tasks v2 REST surface through the official Node client
(@google-cloud/tasks, pinned in tests/ct/package.json), configured by the
recipe the README documents: fallback 'rest', protocol 'http',
apiEndpoint + port, and a PassThroughClient whose validateStatus lets
errors reach gax's decoder (so they arrive as GoogleError with gRPC codes).

Each test runs one scenario of tests/ct/drive.js against a real daemon and
asserts on the one JSON line it prints and on what the target received.
tests/ct/node_modules must be installed (`npm ci --prefix tests/ct`, as
build-aux/quickstart does): without it these tests fail, they do not skip.
"""

import base64
import json
import math
import os
import re
import shutil
import subprocess
import time

import pytest

from tdlib import SLOW, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.environ.get("TD_SRCDIR")
                         or os.path.join(HERE, "..", ".."))
CT_DIR = os.path.join(SRCDIR, "tests", "ct")
DRIVE = os.path.join(CT_DIR, "drive.js")
PROJECT = "test-proj"
LOCATION = "test-loc"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"

# gRPC codes as the client reports them (GoogleError.code).
NOT_FOUND = 5
ALREADY_EXISTS = 6
INVALID_ARGUMENT = 3
FAILED_PRECONDITION = 9

HEX32 = re.compile(r"^[0-9a-f]{32}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_.~-]+$")   # URL-safe as it is


def burst(rate):
    """maxBurstSize, output only, derived from the rate: 500/s (the
    default) gives Cloud Tasks' default burst of 100."""
    return min(500, max(1, math.ceil(rate / 5)))


def qname(q):
    return f"{PARENT}/queues/{q}"


def tname(q, t):
    return f"{qname(q)}/tasks/{t}"


def last(name):
    return name.rsplit("/", 1)[-1]


def secs(d):
    """A Duration or Timestamp as the client gives it ({seconds, nanos},
    seconds possibly a string) -> float seconds; None when unset."""
    if d is None:
        return None
    return float(d.get("seconds") or 0) + (d.get("nanos") or 0) / 1e9


def b64(s):
    return base64.b64encode(s if isinstance(s, bytes) else s.encode()
                            ).decode()


def code_of(r):
    """The gRPC code of an expected error ({"error":...}), failing with
    what came instead."""
    assert "error" in r, f"expected an error, got {r}"
    e = r["error"]
    assert e["name"] == "GoogleError", \
        f"not decoded by gax (validateStatus recipe broken?): {e}"
    return e["code"]


def need_node():
    """The node binary, with tests/ct/node_modules installed.  Either
    missing fails the test (from its body, so it counts as failed), never
    skips it: CI installs both."""
    exe = shutil.which("node")
    if exe is None:
        pytest.fail("node is not installed (apt-get install nodejs npm; "
                    "build-aux/quickstart test does it)", pytrace=False)
    mod = os.path.join(CT_DIR, "node_modules", "@google-cloud", "tasks")
    if not os.path.isdir(mod):
        pytest.fail(f"{CT_DIR}/node_modules is missing: run "
                    "`npm ci --prefix tests/ct` (build-aux/quickstart test "
                    "does it)", pytrace=False)
    return exe


@pytest.fixture
def node():
    return shutil.which("node")


@pytest.fixture
def ct(node, start_daemon, target):
    """A daemon with 2 workers and the Cloud Tasks surface on any
    project/location; returns a Driver."""
    d = start_daemon({"workers.count": 2, "workers.concurrency": 2})
    return Driver(node, d, target)


class Driver:
    def __init__(self, node, daemon, target):
        self.node = node
        self.d = daemon
        self.target = target

    def run(self, scenario, token=None, **args):
        """Run one drive.js scenario; its result dict.  A scenario that
        fails where it did not expect to fails the test with its step."""
        self.node = need_node()
        argv = [self.node, DRIVE, "--port", str(self.d.port),
                "--project", PROJECT, "--location", LOCATION]
        if token:
            argv += ["--token", token]
        argv += [scenario, json.dumps(args)]
        env = dict(os.environ, NODE_NO_WARNINGS="1")
        try:
            p = subprocess.run(argv, cwd=CT_DIR, env=env,
                               stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=90 * SLOW)
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"drive.js {scenario} hung: stdout={e.stdout!r} "
                        f"stderr={e.stderr!r}")
        out = p.stdout.decode("utf-8", "replace").strip().splitlines()
        err = p.stderr.decode("utf-8", "replace")
        if not out:
            pytest.fail(f"drive.js {scenario}: no output (exit "
                        f"{p.returncode}); stderr:\n{err}")
        try:
            line = json.loads(out[-1])
        except ValueError:
            pytest.fail(f"drive.js {scenario}: not JSON: {out[-1]!r}; "
                        f"stderr:\n{err}")
        if not line.get("ok"):
            pytest.fail(f"drive.js {scenario} failed at step "
                        f"{line.get('step')!r}: {line.get('error')}\n"
                        f"stderr:\n{err}", pytrace=False)
        assert p.returncode == 0, (p.returncode, err)
        return line["result"]

    def call(self, method, request, options=None, token=None):
        """One client call: {"ok": result} or {"error": {...}}."""
        args = {"method": method, "request": request}
        if options is not None:
            args["options"] = options
        return self.run("call", token=token, **args)


def assert_queue_defaults(q):
    """CreateQueue without rateLimits/retryConfig: Cloud Tasks'
    defaults (design: 500/100/1000; 100, 0.1 s, 3600 s, 16, 0)."""
    rl, rc = q["rateLimits"], q["retryConfig"]
    assert rl["maxDispatchesPerSecond"] == 500, rl
    assert rl["maxBurstSize"] == burst(500) == 100, rl
    assert rl["maxConcurrentDispatches"] == 1000, rl
    assert rc["maxAttempts"] == 100, rc
    assert secs(rc["minBackoff"]) == pytest.approx(0.1), rc
    assert secs(rc["maxBackoff"]) == 3600, rc
    assert rc["maxDoublings"] == 16, rc
    assert secs(rc.get("maxRetryDuration")) in (None, 0.0), rc


# ---------------------------------------------------------------- queues

def test_get_location(ct):
    r = ct.run("location")
    loc = r["location"]
    assert loc["name"] == PARENT, loc
    assert loc["locationId"] == LOCATION, loc


def test_create_get_queue(ct):
    r = ct.run("create-get-queue", queue="cq1")
    for key in ("created", "got"):
        q = r[key]
        assert q["name"] == qname("cq1"), (key, q)
        assert q["state"] == "RUNNING", (key, q)
        rl, rc = q["rateLimits"], q["retryConfig"]
        assert rl["maxDispatchesPerSecond"] == 10, (key, rl)
        assert rl["maxConcurrentDispatches"] == 5, (key, rl)
        assert rl["maxBurstSize"] == burst(10), (key, rl)
        assert rc["maxAttempts"] == 5, (key, rc)
        assert secs(rc["maxRetryDuration"]) == 3600, (key, rc)
        assert secs(rc["minBackoff"]) == 1, (key, rc)
        # CT truncates backoffs to seconds; keeping ms is as good.
        assert secs(rc["maxBackoff"]) in (10, 10.5), (key, rc)
        assert rc["maxDoublings"] == 3, (key, rc)
        assert q.get("purgeTime") is None, (key, q)
    assert code_of(r["dup"]) == ALREADY_EXISTS
    d = r["defaults"]
    assert d["name"] == qname("cq1-d") and d["state"] == "RUNNING", d
    assert_queue_defaults(d)
    # A queue of the config file is an ordinary queue: its [dispatch]
    # policy shows as a retryConfig (max_retries 3 -> 4 attempts).
    c = r["config"]
    assert c["name"] == qname("default") and c["state"] == "RUNNING", c
    rc = c["retryConfig"]
    assert rc["maxAttempts"] == 4, rc
    assert secs(rc["minBackoff"]) == pytest.approx(0.1), rc
    assert secs(rc["maxBackoff"]) == 1, rc


def test_update_queue_masks(ct):
    r = ct.run("update-queue", queue="uq1")
    s = r["snake"]
    assert s["name"] == qname("uq1"), s
    assert s["rateLimits"]["maxDispatchesPerSecond"] == 20, s
    # Fields outside the mask keep their values.
    assert s["rateLimits"]["maxConcurrentDispatches"] == 1000, s
    assert s["retryConfig"]["maxAttempts"] == 100, s
    for key in ("camel", "got"):
        q = r[key]
        assert q["rateLimits"]["maxDispatchesPerSecond"] == 20, (key, q)
        rc = q["retryConfig"]
        assert rc["maxAttempts"] == 7, (key, rc)
        assert secs(rc["minBackoff"]) == 2, (key, rc)
        assert secs(rc["maxBackoff"]) == 3600, (key, rc)
        assert rc["maxDoublings"] == 16, (key, rc)
        assert q["state"] == "RUNNING", (key, q)
    # UpdateQueue creates a missing queue [proto].
    assert "ok" in r["upsert"], r["upsert"]
    assert r["upsert"]["ok"]["name"] == qname("uq1-u"), r["upsert"]
    got = r["upsertGot"]
    assert "ok" in got, got
    assert got["ok"]["rateLimits"]["maxDispatchesPerSecond"] == 3, got


def test_list_queues_pages_and_filter(ct):
    r = ct.run("list-queues", queue="lq", n=5)
    mine = [qname(f"lq-{i}") for i in range(5)]
    cfg = [qname(q) for q in ("critical", "default", "low")]
    assert len(r["all"]) == len(set(r["all"])), r["all"]
    assert set(r["all"]) == set(mine + cfg), r["all"]
    page = r["page"]
    assert len(page["names"]) == 2, page
    assert page["nextPageToken"], page
    assert TOKEN_RE.match(page["nextPageToken"]), page
    paused = r["paused"]
    assert [q["name"] for q in paused] == [qname("lq-1")], paused
    assert paused[0]["state"] == "PAUSED", paused


def test_pause_resume(ct):
    r = ct.run("pause-resume", queue="low", existing=True)
    assert r["paused"]["state"] == "PAUSED", r["paused"]
    assert r["got"]["state"] == "PAUSED", r["got"]
    assert r["resumed"]["state"] == "RUNNING", r["resumed"]
    assert code_of(r["missing"]) == NOT_FOUND


def test_purge_queue(ct):
    t0 = time.time()
    r = ct.run("purge", queue="low", existing=True,
               url=ct.target.url("/p"))
    assert r["before"] == 3, r
    pt = secs(r["purged"].get("purgeTime"))
    assert pt is not None, r["purged"]
    assert t0 - 1 <= pt <= time.time() + 1, (pt, t0)
    assert r["after"] == 0, r
    assert r["later"] == 1, r
    assert ct.target.count() == 0


def test_delete_queue(ct):
    r = ct.run("delete-queue", queue="dq1")
    assert r["deleted"] == {}, r["deleted"]
    assert code_of(r["get"]) == NOT_FOUND
    assert code_of(r["again"]) == NOT_FOUND
    assert code_of(r["config"]) == FAILED_PRECONDITION


# ---------------------------------------------------------------- tasks

def test_create_task_dispatch(ct):
    t = ct.target
    r = ct.run("create-task", queue="ctq", url=t.url(""), id="named-1")
    n = r["named"]
    assert n["name"] == tname("ctq", "named-1"), n
    hr = n["httpRequest"]
    assert hr["url"] == t.url("/named"), hr
    assert hr["httpMethod"] == "PUT", hr
    assert hr["headers"].get("X-Custom") == "abc", hr
    assert hr["body"] == b64('{"hello":"world"}'), hr
    assert secs(n["scheduleTime"]) == r["scheduleAt"], n
    assert secs(n["dispatchDeadline"]) == 45, n
    assert n["view"] == "FULL", n
    assert n["dispatchCount"] == 0, n
    assert secs(n["createTime"]) is not None, n

    u = r["unnamed"]
    uid = last(u["name"])
    assert u["name"] == tname("ctq", uid) and HEX32.match(uid), u
    assert u["httpRequest"]["httpMethod"] == "POST", u
    gid = last(r["get"]["name"])

    named = t.wait_count(1, path="/named", timeout=10)[0]
    assert named.method == "PUT"
    assert named.body == b'{"hello":"world"}'
    assert named.header("X-Custom") == "abc"
    assert named.header("Content-Type") == "application/json"
    assert named.header("X-CloudTasks-TaskName") == "named-1"
    assert named.header("X-CloudTasks-QueueName") == "ctq"
    assert named.header("X-CloudTasks-TaskRetryCount") == "0"
    assert named.header("User-Agent") == "Google-Cloud-Tasks"
    # Not before its scheduleTime (whole seconds, 2 s ahead).
    assert named.wall >= r["scheduleAt"] - 0.05, \
        (named.wall, r["scheduleAt"])
    eta = float(named.header("X-CloudTasks-TaskETA"))
    assert abs(eta - r["scheduleAt"]) < 0.01, eta

    un = t.wait_count(1, path="/unnamed", timeout=10)[0]
    assert un.method == "POST"
    assert un.body == b"plain text"
    assert un.header("X-CloudTasks-TaskName") == uid
    assert un.header("X-CloudTasks-QueueName") == "ctq"

    g = t.wait_count(1, path="/get?x=1", timeout=10)[0]
    assert g.method == "GET" and g.body == b""
    assert g.header("X-CloudTasks-TaskName") == gid

    # Done tasks are invisible to /v2.
    def gone():
        return code_of(ct.call("getTask", {"name": tname("ctq", "named-1")})
                       ) == NOT_FOUND
    wait_for(gone, 10, interval=0.2, msg="named-1 done -> NOT_FOUND")


def test_get_task_views(ct):
    t0 = time.time()
    r = ct.run("get-task", queue="default", existing=True,
               url=ct.target.url("/x"), id="gt-1")
    basic, full = r["basic"], r["full"]
    for key, task in (("basic", basic), ("full", full)):
        assert task["name"] == tname("default", "gt-1"), (key, task)
        hr = task["httpRequest"]
        assert hr["url"] == ct.target.url("/x"), (key, hr)
        assert hr["httpMethod"] == "POST", (key, hr)
        assert hr["headers"].get("X-A") == "b", (key, hr)
        assert abs(secs(task["scheduleTime"]) - (t0 + 3600)) < 30, \
            (key, task)
        ct_ = secs(task["createTime"])
        assert ct_ is not None and abs(ct_ - t0) < 30, (key, task)
        assert task["dispatchCount"] == 0, (key, task)
        assert task["responseCount"] == 0, (key, task)
    assert basic["view"] == "BASIC", basic
    assert not basic["httpRequest"].get("body"), basic   # body: FULL only
    assert full["view"] == "FULL", full
    assert full["httpRequest"]["body"] == b64("secret body"), full


def test_list_tasks_pages(ct):
    r = ct.run("list-tasks", queue="low", existing=True,
               url=ct.target.url("/x"), n=5)
    created = r["created"]
    assert len(created) == 5 and all(HEX32.match(i) for i in created), r
    assert len(r["all"]) == 5 and set(r["all"]) == set(created), r["all"]
    page = r["page"]
    assert len(page["names"]) == 2, page
    assert page["nextPageToken"] and TOKEN_RE.match(
        page["nextPageToken"]), page
    assert len(r["full"]) == 5 and len(r["basic"]) == 5, r
    for task in r["full"]:
        assert task["view"] == "FULL", task
        assert task["httpRequest"]["body"] == b64("parked"), task
    for task in r["basic"]:
        assert task["view"] == "BASIC", task
        assert not task["httpRequest"].get("body"), task


def test_delete_task(ct):
    r = ct.run("delete-task", queue="default", existing=True,
               url=ct.target.url("/x"), id="dt-1")
    assert r["deleted"] == {}, r["deleted"]
    assert code_of(r["get"]) == NOT_FOUND
    assert code_of(r["again"]) == NOT_FOUND
    # A deleted name is tombstoned (tombstone_ttl, default 1 h).
    assert code_of(r["recreate"]) == ALREADY_EXISTS
    assert ct.target.count() == 0


def test_run_task_on_paused_queue(ct):
    t = ct.target
    t0 = time.time()
    r = ct.run("run-task", queue="critical", existing=True,
               url=t.url(""), id="rt-1")
    ran = r["ran"]
    assert ran["name"] == tname("critical", "rt-1"), ran
    assert code_of(r["missing"]) == NOT_FOUND
    # Dispatched now, although the queue is paused and the task is an
    # hour ahead.
    req = t.wait_count(1, path="/run", timeout=5)[0]
    assert req.wall - t0 < 10
    assert req.body == b"run me"
    assert req.header("X-CloudTasks-TaskName") == "rt-1"
    assert req.header("X-CloudTasks-QueueName") == "critical"

    def gone():
        return code_of(ct.call("getTask", {"name": tname("critical", "rt-1")})
                       ) == NOT_FOUND
    wait_for(gone, 10, interval=0.2, msg="rt-1 done -> NOT_FOUND")
    q = ct.call("getQueue", {"name": qname("critical")})
    assert q["ok"]["state"] == "PAUSED", q
    assert t.count() == 1


def test_dedup_and_tombstone(ct):
    t = ct.target
    r = ct.run("dedup", queue="ddq", url=t.url(""), id="dd-1")
    assert "ok" in r["first"], r["first"]
    assert r["first"]["ok"]["name"] == tname("ddq", "dd-1"), r
    assert code_of(r["dup"]) == ALREADY_EXISTS
    req = t.wait_count(1, path="/dedup", timeout=10)[0]
    assert req.header("X-CloudTasks-TaskName") == "dd-1"

    def gone():
        return code_of(ct.call("getTask", {"name": tname("ddq", "dd-1")})
                       ) == NOT_FOUND
    wait_for(gone, 10, interval=0.2, msg="dd-1 done -> NOT_FOUND")
    # Done, but its name stays taken for tombstone_ttl (1 h by default).
    r = ct.run("dedup", queue="ddq", url=t.url(""), id="dd-1",
               existing=True)
    assert code_of(r["first"]) == ALREADY_EXISTS
    assert code_of(r["dup"]) == ALREADY_EXISTS
    time.sleep(0.5)
    assert t.count(path="/dedup") == 1


def test_errors(ct):
    r = ct.run("errors", queue="default", existing=True,
               url=ct.target.url("/x"))
    want = {
        "getQueueMissing": NOT_FOUND,
        "getTaskMissing": NOT_FOUND,
        "createTaskNoQueue": NOT_FOUND,
        "deleteTaskMissing": NOT_FOUND,
        "dupQueue": ALREADY_EXISTS,
        "badQueueId": INVALID_ARGUMENT,
        "badUrl": INVALID_ARGUMENT,
        "shortDeadline": INVALID_ARGUMENT,
        "longDeadline": INVALID_ARGUMENT,
        "getWithBody": INVALID_ARGUMENT,
        "farSchedule": INVALID_ARGUMENT,
        "badTaskId": INVALID_ARGUMENT,
    }
    got = {k: (r[k]["error"]["code"] if "error" in r[k] else r[k])
           for k in want}
    assert got == want
    for k in want:
        assert r[k]["error"]["name"] == "GoogleError", r[k]
    assert ct.target.count() == 0


def test_api_token(node, start_daemon, target):
    """With [server] api_tokens, the recipe carries the token in the
    PassThroughClient's transporter headers; without it: UNAUTHENTICATED
    (16)."""
    tok = "ct-token-0123456789abcdef"
    d = start_daemon({"workers.count": 1, "server.api_tokens": tok})
    ct = Driver(node, d, target)
    r = ct.call("getQueue", {"name": qname("default")})
    assert code_of(r) == 16, r
    r = ct.call("getQueue", {"name": qname("default")}, token=tok)
    assert r.get("ok", {}).get("name") == qname("default"), r
    r = ct.run("location", token=tok)
    assert r["location"]["name"] == PARENT, r
