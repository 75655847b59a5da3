"""The Cloud Tasks v2 REST surface over raw HTTP: google.rpc.Status errors
(HTTP code and status string), the JSON codec (enums as strings or, with
$alt=json;enum-encoding=int, integers; camelCase only; proto3 durations),
and the dispatch semantics a queue's settings promise: pause/resume,
named-task dedup with tombstones, the retryConfig backoff schedule, the
token-bucket rate and maxConcurrentDispatches."""

import calendar
import math
import re
import time
import urllib.parse

import pytest

from tdlib import SLOW, assert_error_shape, wait_for

BASE = "/v2/projects/p1/locations/l1"
ALT_INT = "$alt=json%3Benum-encoding=int"
DURATION_RE = re.compile(r"^\d+(\.\d{3}|\.\d{6}|\.\d{9})?s$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def qpath(q, rest=""):
    return f"{BASE}/queues/{q}{rest}"


def burst(rate):
    """maxBurstSize, output only, derived from the rate: 500/s (the
    default) gives Cloud Tasks' default burst of 100."""
    return min(500, max(1, math.ceil(rate / 5)))


def qname(q):
    return f"projects/p1/locations/l1/queues/{q}"


def ok(resp, code=200):
    assert resp.status == code, resp
    assert (resp.header("Content-Type") or "").startswith(
        "application/json"), resp.headers
    body = resp.json
    assert isinstance(body, dict), resp
    return body


def create_queue(d, q, **fields):
    body = dict(fields, name=qname(q))
    return ok(d.request("POST", f"{BASE}/queues", body))


def create_task(d, q, task, **extra):
    return d.request("POST", qpath(q, "/tasks"), dict(extra, task=task))


def http_task(url, **extra):
    hr = {"url": url, "httpMethod": "POST"}
    hr.update(extra)
    return {"httpRequest": hr}


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%03dZ" % int((t % 1) * 1000)


def parse_time(s):
    m = re.match(r"^(.*?)(?:\.(\d+))?Z$", s)
    base = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return base + (float("0." + m.group(2)) if m.group(2) else 0.0)


def dur(s):
    assert DURATION_RE.match(s), s
    return float(s[:-1])


def walk_keys(v, path=""):
    """Every object key of a JSON value, except inside the user's header
    map (its keys are header names, not fields)."""
    if isinstance(v, dict):
        for k, x in v.items():
            yield path, k
            if k != "headers":
                yield from walk_keys(x, f"{path}.{k}")
    elif isinstance(v, list):
        for x in v:
            yield from walk_keys(x, path)


def task_gone(d, q, tid):
    return d.request("GET", qpath(q, f"/tasks/{tid}")).status == 404


@pytest.fixture
def api(start_daemon):
    """A daemon that dispatches nothing: tasks stay where they are put."""
    return start_daemon({"workers.count": 0})


@pytest.fixture
def live(start_daemon):
    return start_daemon({"workers.count": 2, "workers.concurrency": 4})


# ---------------------------------------------------------------- errors

def test_error_shapes(api, target):
    """Every case on the config file's queues, so that none depends on
    CreateQueue."""
    d = api
    url = target.url("/x")
    cases = [
        # (method, path, body, code, status)
        ("GET", qpath("nope"), None, 404, "NOT_FOUND"),
        ("GET", qpath("nope", "/tasks"), None, 404, "NOT_FOUND"),
        ("GET", qpath("default", "/tasks/nope"), None, 404, "NOT_FOUND"),
        ("DELETE", qpath("default", "/tasks/nope"), None, 404, "NOT_FOUND"),
        ("POST", qpath("default", "/tasks/nope:run"), {}, 404, "NOT_FOUND"),
        ("POST", qpath("nope", "/tasks"), {"task": http_task(url)},
         404, "NOT_FOUND"),
        ("POST", qpath("nope", ":pause"), {}, 404, "NOT_FOUND"),
        ("DELETE", qpath("nope"), None, 404, "NOT_FOUND"),
        # Queue IDs over /v2: [A-Za-z0-9-]{1,63}.
        ("POST", f"{BASE}/queues", {"name": qname("bad_id")},
         400, "INVALID_ARGUMENT"),
        ("POST", f"{BASE}/queues", {"name": qname("a" * 64)},
         400, "INVALID_ARGUMENT"),
        ("POST", f"{BASE}/queues", {"name": qname("bad.id")},
         400, "INVALID_ARGUMENT"),
        ("POST", f"{BASE}/queues", b"{not json", 400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"), b"[1,2", 400, "INVALID_ARGUMENT"),
        ("POST", f"{BASE}/queues",
         {"name": qname("e2"), "retryConfig": {"minBackoff": "abc"}},
         400, "INVALID_ARGUMENT"),
        ("POST", f"{BASE}/queues",
         {"name": qname("e3"), "retryConfig": {"minBackoff": 5}},
         400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": dict(http_task(url), dispatchDeadline="10")},
         400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": dict(http_task(url), dispatchDeadline="14.999s")},
         400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": dict(http_task(url), dispatchDeadline="1800.001s")},
         400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": http_task(url, httpMethod="GET", body="eA==")},
         400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": http_task(url, httpMethod="DELETE", body="eA==")},
         400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": http_task("ftp://127.0.0.1/x")}, 400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": http_task("127.0.0.1/x")}, 400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": http_task(url + "?" + "a" * 2100)},
         400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": dict(http_task(url),
                       scheduleTime=rfc3339(time.time() + 31 * 86400))},
         400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": dict(http_task(url), scheduleTime="yesterday")},
         400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": dict(http_task(url),
                       name=qname("default") + "/tasks/a.b")},
         400, "INVALID_ARGUMENT"),
        ("POST", qpath("default", "/tasks"),
         {"task": http_task(url, body="not base64!")},
         400, "INVALID_ARGUMENT"),
        ("POST", f"{BASE}/queues", {"name": qname("default")},
         409, "ALREADY_EXISTS"),
        # The config file's queues are not the API's to delete.
        ("DELETE", qpath("default"), None, 400, "FAILED_PRECONDITION"),
        ("POST", qpath("default", ":frobnicate"), {}, 404, "NOT_FOUND"),
        ("GET", f"{BASE}/nothing", None, 404, "NOT_FOUND"),
    ]
    bad = []
    for method, path, body, code, status in cases:
        resp = d.request(method, path, body)
        try:
            assert_error_shape(resp, code, status)
        except AssertionError as e:
            bad.append(f"{method} {path[:80]} {str(body)[:80]}: "
                       f"want {code} {status}, got {resp.status} "
                       f"{resp.body[:200]!r} ({e})")
    assert not bad, "\n".join(bad)
    # Nothing of that was created.
    got = ok(d.request("GET", f"{BASE}/queues"))
    names = sorted(q["name"] for q in got["queues"])
    assert names == sorted(qname(q) for q in ("critical", "default",
                                               "low")), names
    assert ok(d.request("GET", qpath("default", "/tasks"))).get(
        "tasks", []) == []


def test_duplicate_queue(api):
    d = api
    create_queue(d, "dup1")
    assert_error_shape(d.request("POST", f"{BASE}/queues",
                                 {"name": qname("dup1")}),
                       409, "ALREADY_EXISTS")


def test_wrong_method(api):
    d = api
    for method, path in [("PUT", qpath("default")),
                         ("GET", qpath("default", ":pause")),
                         ("DELETE", qpath("default", ":purge")),
                         ("PATCH", qpath("default", "/tasks")),
                         ("PUT", f"{BASE}/queues")]:
        resp = d.request(method, path)
        assert_error_shape(resp, 405, "UNIMPLEMENTED")
        assert resp.header("Allow"), resp.headers


def test_delete_answers_empty_object(api):
    d = api
    create_queue(d, "dl1")
    t = ok(create_task(d, "dl1", http_task("http://127.0.0.1:9/x")))
    resp = d.request("DELETE", "/v2/" + t["name"])
    assert ok(resp) == {}, resp
    resp = d.request("DELETE", qpath("dl1"))
    assert ok(resp) == {}, resp
    assert_error_shape(d.request("GET", qpath("dl1")), 404, "NOT_FOUND")


def test_fixed_project_and_location(start_daemon):
    d = start_daemon({"workers.count": 0, "cloudtasks.project": "p1",
                      "cloudtasks.location": "l1"})
    assert ok(d.request("GET", f"{BASE}/queues/default"))["name"] == \
        qname("default")
    for path in ["/v2/projects/p2/locations/l1/queues/default",
                 "/v2/projects/p1/locations/l2/queues",
                 "/v2/projects/p2/locations/l1/queues"]:
        assert_error_shape(d.request("GET", path), 404, "NOT_FOUND")


def test_any_project_echoed_and_colon_decoded(api):
    d = api
    # Google's clients send ':' inside a segment percent-encoded; the
    # verb is split off at the literal ':' first.
    path = "/v2/projects/example.com%3Aproj/locations/eu-1/queues/default"
    q = ok(d.request("GET", path))
    assert q["name"] == \
        "projects/example.com:proj/locations/eu-1/queues/default", q
    q = ok(d.request("POST", path + ":pause", {}))
    assert q["state"] == "PAUSED", q
    q = ok(d.request("POST", path + ":resume", {}))
    assert q["state"] == "RUNNING", q
    loc = ok(d.request("GET", "/v1/projects/example.com%3Aproj/"
                              "locations/eu-1"))
    assert loc["name"] == "projects/example.com:proj/locations/eu-1", loc
    assert loc["locationId"] == "eu-1", loc


def test_iam_stubs(api):
    d = api
    assert ok(d.request("POST", qpath("default", ":getIamPolicy"), {})) == {}
    pol = {"bindings": [{"role": "roles/viewer", "members": ["user:a@b"]}]}
    got = ok(d.request("POST", qpath("default", ":setIamPolicy"),
                       {"policy": pol}))
    assert got.get("bindings") == pol["bindings"], got
    perms = ["cloudtasks.tasks.create"]
    got = ok(d.request("POST", qpath("default", ":testIamPermissions"),
                       {"permissions": perms}))
    assert got.get("permissions") == perms, got


# ---------------------------------------------------------------- codec

def test_enum_encoding(api):
    d = api
    q = ok(d.request("GET", qpath("low")))
    assert q["state"] == "RUNNING", q
    q = ok(d.request("GET", qpath("low") + "?" + ALT_INT))
    assert q["state"] == 1, q
    q = ok(d.request("POST", qpath("low", ":pause") + "?" + ALT_INT, {}))
    assert q["state"] == 2, q
    # Enums in: integers (as the Node client sends) or names.
    t = ok(create_task(d, "low", http_task("http://127.0.0.1:9/a",
                                           httpMethod=4),
                       responseView=2))
    assert t["httpRequest"]["httpMethod"] == "PUT", t
    assert t["view"] == "FULL", t
    t = ok(d.request("POST", qpath("low", "/tasks") + "?" + ALT_INT,
                     {"task": http_task("http://127.0.0.1:9/b",
                                        httpMethod="PATCH"),
                      "responseView": "FULL"}))
    assert t["httpRequest"]["httpMethod"] == 6, t
    assert t["view"] == 2, t
    tid = t["name"].rsplit("/", 1)[1]
    t = ok(d.request("GET", qpath("low", f"/tasks/{tid}") +
                     "?responseView=2&" + ALT_INT))
    assert t["view"] == 2 and t["httpRequest"]["httpMethod"] == 6, t
    t = ok(d.request("GET", qpath("low", f"/tasks/{tid}") +
                     "?responseView=FULL"))
    assert t["view"] == "FULL", t
    t = ok(d.request("GET", qpath("low", f"/tasks/{tid}")))
    assert t["view"] == "BASIC", t
    lst = ok(d.request("GET", f"{BASE}/queues?" + ALT_INT))
    assert all(isinstance(x["state"], int) for x in lst["queues"]), lst


def test_camel_case_only_and_formats(api):
    d = api
    # [dispatch] min_backoff 100ms, max_backoff 1s, max_retries 3.
    q = ok(d.request("GET", qpath("default")))
    t = ok(create_task(d, "default", dict(
        http_task("http://127.0.0.1:9/x", body="aGk=",
                  headers={"X-Custom-Hdr": "v"}),
        dispatchDeadline="30.5s", scheduleTime=rfc3339(time.time() + 60)),
        responseView="FULL"))
    lists = [ok(d.request("GET", f"{BASE}/queues")),
             ok(d.request("GET", qpath("default",
                                       "/tasks?responseView=FULL")))]
    for doc in [q, t] + lists:
        for path, k in walk_keys(doc):
            assert "_" not in k, (path, k, doc)
            assert re.match(r"^[a-z][A-Za-z0-9]*$", k), (path, k)
    rc = q["retryConfig"]
    assert rc["minBackoff"] == "0.100s", rc
    assert rc["maxBackoff"] == "1s", rc
    assert rc["maxRetryDuration"] == "0s", rc
    assert rc["maxAttempts"] == 4, rc
    assert rc["maxDoublings"] == 16, rc
    assert DURATION_RE.match(t["dispatchDeadline"]), t
    assert dur(t["dispatchDeadline"]) == 30.5, t
    assert t["dispatchDeadline"] == "30.500s", t
    assert TIME_RE.match(t["scheduleTime"]), t
    assert TIME_RE.match(t["createTime"]), t
    assert t["httpRequest"]["body"] == "aGk=", t
    assert t["httpRequest"]["headers"].get("X-Custom-Hdr") == "v", t


def test_created_queue_json(api):
    d = api
    q = create_queue(d, "cc1", rateLimits={"maxDispatchesPerSecond": 5},
                     retryConfig={"minBackoff": "0.1s", "maxBackoff": "30s",
                                  "maxRetryDuration": "90s",
                                  "maxAttempts": 3})
    for doc in (q, ok(d.request("GET", qpath("cc1")))):
        for path, k in walk_keys(doc):
            assert re.match(r"^[a-z][A-Za-z0-9]*$", k), (path, k)
        assert doc["name"] == qname("cc1") and doc["state"] == "RUNNING"
        rc = doc["retryConfig"]
        assert rc["minBackoff"] == "0.100s", rc
        assert rc["maxBackoff"] == "30s", rc
        assert rc["maxRetryDuration"] == "90s", rc
        assert rc["maxAttempts"] == 3, rc
        assert rc["maxDoublings"] == 16, rc
        rl = doc["rateLimits"]
        assert rl == {"maxDispatchesPerSecond": 5, "maxBurstSize": burst(5),
                      "maxConcurrentDispatches": 1000}, rl
    # PATCH with a mask, snake or camel: fields outside it stay.
    q = ok(d.request("PATCH", qpath("cc1") + "?updateMask=rate_limits."
                     "max_dispatches_per_second,retryConfig.maxAttempts",
                     {"rateLimits": {"maxDispatchesPerSecond": 0.5,
                                     "maxConcurrentDispatches": 7},
                      "retryConfig": {"maxAttempts": -1,
                                      "minBackoff": "9s"}}))
    assert q["rateLimits"]["maxDispatchesPerSecond"] == 0.5, q
    assert q["rateLimits"]["maxBurstSize"] == burst(0.5) == 1, q
    assert q["rateLimits"]["maxConcurrentDispatches"] == 1000, q
    assert q["retryConfig"]["maxAttempts"] == -1, q
    assert q["retryConfig"]["minBackoff"] == "0.100s", q
    assert ok(d.request("GET", qpath("cc1"))) == q


def test_schedule_time_clamped_and_offsets(api):
    d = api
    now = time.time()
    # In the past: now.
    t = ok(create_task(d, "default", dict(http_task("http://127.0.0.1:9/x"),
                                      scheduleTime="2000-01-01T00:00:00Z")))
    assert abs(parse_time(t["scheduleTime"]) - now) < 5, t
    # An offset and 9 fraction digits are accepted; the answer is Z.
    ahead = time.gmtime(now + 7200)
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + 7200 + 3600))
    t = ok(create_task(d, "default", dict(http_task("http://127.0.0.1:9/x"),
                                      scheduleTime=s + ".123456789+01:00")))
    want = calendar.timegm(ahead) + 0.123456
    assert abs(parse_time(t["scheduleTime"]) - want) < 0.001, (t, want)


def test_unknown_query_params_ignored(api):
    d = api
    for qs in ["foo=bar", "$prettyPrint=false", "fields=name",
               "foo=bar&" + ALT_INT + "&x-goog-thing=1"]:
        q = ok(d.request("GET", qpath("low") + "?" + qs))
        assert q["name"] == qname("low"), (qs, q)
    resp = d.request("GET", qpath("low"),
                     headers={"x-goog-api-client": "gax/5.0.8",
                              "x-goog-request-params": "name=x"})
    assert ok(resp)["name"] == qname("low")


def test_pagination_tokens(api):
    d = api
    ids = set()
    for _ in range(7):
        t = ok(create_task(d, "default", http_task("http://127.0.0.1:9/x")))
        ids.add(t["name"].rsplit("/", 1)[1])
    seen, token, pages = [], None, 0
    while True:
        qs = "pageSize=3" + (f"&pageToken={urllib.parse.quote(token)}"
                             if token else "")
        page = ok(d.request("GET", qpath("default", "/tasks?" + qs)))
        pages += 1
        assert len(page.get("tasks", [])) <= 3, page
        seen += [x["name"].rsplit("/", 1)[1] for x in page.get("tasks", [])]
        token = page.get("nextPageToken")
        if not token:
            break
        # Opaque but URL-safe as it is (the client does not escape '/').
        assert re.match(r"^[A-Za-z0-9_.~-]+$", token), token
        assert pages < 10
    # Pages may come short (AIP-158), but every task comes exactly once.
    assert sorted(seen) == sorted(ids), (seen, pages)


# ---------------------------------------------------------------- dispatch

def test_pause_resume_dispatch(live, target):
    d = live
    q = ok(d.request("POST", qpath("critical", ":pause"), {}))
    assert q["state"] == "PAUSED", q
    ok(create_task(d, "critical", http_task(target.url("/pr"))))
    time.sleep(2.0)
    assert target.count() == 0, target.summary()
    q = ok(d.request("POST", qpath("critical", ":resume"), {}))
    assert q["state"] == "RUNNING", q
    target.wait_count(1, path="/pr", timeout=5)


def test_purge_drops_tasks(api):
    d = api
    for _ in range(3):
        ok(create_task(d, "low", http_task("http://127.0.0.1:9/x")))
    t0 = time.time()
    q = ok(d.request("POST", qpath("low", ":purge"), {}))
    assert TIME_RE.match(q.get("purgeTime", "")), q
    assert abs(parse_time(q["purgeTime"]) - t0) < 2, q
    lst = ok(d.request("GET", qpath("low", "/tasks")))
    assert lst.get("tasks", []) == [], lst
    assert ok(d.request("GET", qpath("low")))["purgeTime"] == \
        q["purgeTime"]


def test_dedup_tombstone(start_daemon, target):
    ttl = 2
    d = start_daemon({"workers.count": 1,
                      "cloudtasks.tombstone_ttl": f"{ttl}s"})
    task = dict(http_task(target.url("/dd")), name=qname("default") +
                "/tasks/once-1")
    t = ok(create_task(d, "default", task))
    assert t["name"] == task["name"], t
    assert_error_shape(create_task(d, "default", task), 409, "ALREADY_EXISTS")
    req = target.wait_count(1, path="/dd", timeout=5)[0]
    assert req.header("X-CloudTasks-TaskName") == "once-1"
    wait_for(lambda: task_gone(d, "default", "once-1"), 5,
             msg="once-1 done -> 404")
    done_at = time.monotonic()
    assert_error_shape(create_task(d, "default", task), 409, "ALREADY_EXISTS")
    # After the tombstone's TTL the name is free again.
    wait_for(lambda: create_task(d, "default", task).status == 200,
             ttl + 3, interval=0.1, msg="re-create after tombstone_ttl")
    waited = time.monotonic() - done_at
    assert waited >= ttl - 0.7, waited
    target.wait_count(2, path="/dd", timeout=5)


def test_backoff_schedule(live, target):
    d = live
    q = create_queue(d, "bo1", retryConfig={
        "minBackoff": "0.2s", "maxBackoff": "1s", "maxDoublings": 2,
        "maxAttempts": 4})
    assert q["retryConfig"]["maxAttempts"] == 4, q
    target.plan_status("/fail", 500)
    t = ok(create_task(d, "bo1", dict(http_task(target.url("/fail")),
                                      name=qname("bo1") + "/tasks/bo")))
    reqs = target.wait_count(4, path="/fail", timeout=10)
    time.sleep(2.5 * SLOW)
    reqs = target.requests("/fail")
    assert len(reqs) == 4, [r.t for r in reqs]
    gaps = [b.t - a.t for a, b in zip(reqs, reqs[1:])]
    # k-1 <= maxDoublings: min * 2^(k-1); no jitter.
    for want, gap in zip([0.2, 0.4, 0.8], gaps):
        assert want - 0.02 <= gap <= want + 0.25 * SLOW, gaps
    for n, r in enumerate(reqs):
        assert r.header("X-CloudTasks-TaskRetryCount") == str(n), n
        assert r.header("X-CloudTasks-TaskName") == "bo"
        if n:
            assert r.header("X-CloudTasks-TaskPreviousResponse") == "500"
    # Permanently failed: gone from /v2.
    wait_for(lambda: task_gone(d, "bo1", "bo"), 5, msg="bo dead -> 404")
    assert t["name"].endswith("/tasks/bo")


def test_rate_limit(start_daemon, target):
    d = start_daemon({"workers.count": 2, "workers.concurrency": 8})
    q = create_queue(d, "rl1", rateLimits={"maxDispatchesPerSecond": 10})
    assert q["rateLimits"]["maxDispatchesPerSecond"] == 10, q
    b = q["rateLimits"]["maxBurstSize"]
    assert b == burst(10), q
    ok(d.request("POST", qpath("rl1", ":pause"), {}))
    for _ in range(60):
        ok(create_task(d, "rl1", http_task(target.url("/rl"))))
    # The bucket is full (burst) when the queue resumes.
    time.sleep(1.0)
    ok(d.request("POST", qpath("rl1", ":resume"), {}))
    reqs = target.wait_count(60, path="/rl", timeout=15)
    ts = sorted(r.t for r in reqs)
    # Past the initial burst, the steady rate is the refill rate.
    steady = ts[b + 5:]
    rate = (len(steady) - 1) / (steady[-1] - steady[0])
    assert 9.0 <= rate <= 11.0, (rate, b, ts)
    # And the whole run cannot beat burst + rate * time.
    span = ts[-1] - ts[0]
    assert 60 <= b + 10 * span + 2, (span, b)


def test_max_concurrent_dispatches(start_daemon, target):
    d = start_daemon({"workers.count": 2, "workers.concurrency": 4})
    q = create_queue(d, "mc1", rateLimits={"maxConcurrentDispatches": 2})
    assert q["rateLimits"]["maxConcurrentDispatches"] == 2, q
    target.plan_delay("/slow", 0.5)
    for _ in range(8):
        ok(create_task(d, "mc1", http_task(target.url("/slow"))))
    reqs = target.wait_count(8, path="/slow", timeout=15)
    wait_for(lambda: all(r.end is not None for r in reqs), 5)
    # A dispatch may start a hair before the target notes the previous
    # one's end (threads): shave 50 ms off each 500 ms visit.
    events = sorted([(r.t, 1) for r in reqs] +
                    [(r.end - 0.05, -1) for r in reqs])
    cur = peak = 0
    for _, delta in events:
        cur += delta
        peak = max(peak, cur)
    assert peak == 2, (peak, [(round(r.t, 3), round(r.end, 3))
                              for r in reqs])


def test_attempt_bookkeeping_and_run_on_retry(live, target):
    """A failed attempt shows in the task (dispatchCount, responseCount,
    firstAttempt, lastAttempt with its status); RunTask on the task
    waiting for its retry dispatches it now, as a retry."""
    d = live
    create_queue(d, "bk1", retryConfig={"minBackoff": "5s",
                                        "maxBackoff": "10s",
                                        "maxAttempts": 5})
    target.plan("/bk", [{"status": 500}, {"status": 200}])
    name = qname("bk1") + "/tasks/bk"
    ok(create_task(d, "bk1", dict(http_task(target.url("/bk")), name=name)))
    first = target.wait_count(1, path="/bk", timeout=5)[0]

    def counted():
        t = ok(d.request("GET", qpath("bk1", "/tasks/bk")))
        return t if t.get("responseCount") == 1 else None
    t = wait_for(counted, 5, interval=0.05, msg="responseCount 1")
    assert t["dispatchCount"] == 1, t
    fa = parse_time(t["firstAttempt"]["dispatchTime"])
    assert abs(fa - first.wall) < 1, (t, first.wall)
    la = t["lastAttempt"]
    assert abs(parse_time(la["dispatchTime"]) - first.wall) < 1, t
    assert parse_time(la["responseTime"]) >= parse_time(la["dispatchTime"])
    assert isinstance(la["responseStatus"]["code"], int) and \
        la["responseStatus"]["code"] != 0, la
    # The next attempt is due minBackoff after this one.
    assert abs(parse_time(t["scheduleTime"]) - (first.wall + 5)) < 1, t

    ran = ok(d.request("POST", qpath("bk1", "/tasks/bk:run"), {}))
    assert ran["name"] == name, ran
    second = target.wait_count(2, path="/bk", timeout=2)[1]
    assert second.t - first.t < 4, (first.t, second.t)
    assert second.header("X-CloudTasks-TaskRetryCount") == "1"
    assert second.header("X-CloudTasks-TaskExecutionCount") == "0"
    assert second.header("X-CloudTasks-TaskPreviousResponse") == "500"
    assert second.header("X-CloudTasks-TaskRetryReason")
    wait_for(lambda: task_gone(d, "bk1", "bk"), 5, msg="bk done -> 404")
    # RunTask replaced the scheduled retry: nothing comes at its time.
    time.sleep(max(0.5, first.t + 6 - time.monotonic()))
    assert target.count("/bk") == 2, target.summary()


def test_queue_limit(api):
    """At most 256 queues in all (TD_QUEUE_MAX): one more is 429
    RESOURCE_EXHAUSTED, and nothing is created."""
    d = api
    n = 3                                   # critical, default, low
    while n < 256:
        create_queue(d, f"lim-{n}")
        n += 1
    resp = d.request("POST", f"{BASE}/queues", {"name": qname("lim-x")})
    assert_error_shape(resp, 429, "RESOURCE_EXHAUSTED")
    assert_error_shape(d.request("GET", qpath("lim-x")), 404, "NOT_FOUND")
    # UpdateQueue of a queue that does not exist creates it: same limit.
    resp = d.request("PATCH", qpath("lim-p"),
                     {"rateLimits": {"maxDispatchesPerSecond": 1}})
    assert_error_shape(resp, 429, "RESOURCE_EXHAUSTED")
    assert_error_shape(d.request("GET", qpath("lim-p")), 404, "NOT_FOUND")
    names, token = [], None
    while True:
        page = ok(d.request("GET", f"{BASE}/queues?pageSize=100" +
                            (f"&pageToken={token}" if token else "")))
        names += [q["name"] for q in page["queues"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert len(names) == len(set(names)) == 256, len(names)
    # Deleting one makes room again.
    assert ok(d.request("DELETE", qpath("lim-3"))) == {}
    create_queue(d, "lim-y")


def test_redis_down_unavailable(api, redis):
    d = api
    assert ok(d.request("GET", qpath("default")))["name"] == qname("default")
    redis.stop()
    wait_for(lambda: d.health() == 503, 10, msg="/health 503 without Redis")
    for method, path, body in [
            ("GET", qpath("default"), None),
            ("GET", qpath("default", "/tasks"), None),
            ("POST", qpath("default", "/tasks"),
             {"task": http_task("http://127.0.0.1:9/x")}),
            ("POST", f"{BASE}/queues", {"name": qname("rd1")})]:
        assert_error_shape(d.request(method, path, body), 503,
                           "UNAVAILABLE")
