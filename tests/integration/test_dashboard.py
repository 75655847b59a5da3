"""The web dashboard end to end: a real headless Chromium (Debian's
/usr/bin/chromium, driven by playwright-core from tests/e2e/dash.js)
against the real daemon with [dashboard] on a free port, a real Redis
and a real HTTP target.  dash.js does the browser steps of one scenario
and prints one JSON line; the assertions are here, on that line, on
Redis, on the API and on what the target received.

tests/e2e/node_modules (`npm ci --prefix tests/e2e`) and /usr/bin/chromium
(`apt-get install chromium`; TD_CHROMIUM overrides the path) must be
installed: without them these tests fail, they do not skip (CI installs
both).

Screenshots of the overview, a queue and a task (light, dark and a
390x844 phone), of the login page and of a read-only queue are saved on
every run under $TD_ARTIFACTS/dashboard/TEST/ (default:
$TD_BUILDDIR/tests/artifacts, else $TD_TEST_TMPDIR or /tmp, then
td-artifacts).
"""

import json
import os
import shutil
import subprocess
import time

import pytest

import tdlib
from conftest import SRCDIR
from tdlib import free_port, wait_for, wait_state, task_key

E2E = os.path.join(SRCDIR, "tests", "e2e")
DRIVER = os.path.join(E2E, "dash.js")
CHROMIUM = os.environ.get("TD_CHROMIUM") or "/usr/bin/chromium"


def artifacts_root():
    if os.environ.get("TD_ARTIFACTS"):
        return os.environ["TD_ARTIFACTS"]
    if os.environ.get("TD_BUILDDIR"):
        return os.path.join(os.environ["TD_BUILDDIR"], "tests", "artifacts")
    return os.path.join(os.environ.get("TD_TEST_TMPDIR") or "/tmp",
                        "td-artifacts")


def need_browser():
    """node, tests/e2e/node_modules and Chromium; any missing fails the
    test (from its body, so it counts as failed), never skips it."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (apt-get install nodejs npm)",
                    pytrace=False)
    if not os.path.isdir(os.path.join(E2E, "node_modules",
                                      "playwright-core")):
        pytest.fail(f"{E2E}/node_modules is missing: run "
                    f"`npm ci --prefix tests/e2e`", pytrace=False)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium",
                    pytrace=False)
    return node


class Dash:
    """A daemon with the dashboard on, and the browser driver for it."""

    def __init__(self, request, start_daemon, conf=None, base="/"):
        self.node = need_browser()
        self.port = free_port()
        self.base_path = base
        c = {"dashboard.listen": f"127.0.0.1:{self.port}",
             "queue.flaky.weight": 1, "queue.flaky.max_retries": 0}
        if base != "/":
            c["dashboard.base_path"] = base
        c.update(conf or {})
        self.d = start_daemon(c)
        self.base = f"http://127.0.0.1:{self.port}{base}"
        name = request.node.name.replace("/", "_")
        self.out = os.path.join(artifacts_root(), "dashboard", name)
        shutil.rmtree(self.out, ignore_errors=True)
        os.makedirs(self.out, exist_ok=True)
        wait_for(lambda: self.get("").status == 200, 10,
                 msg="the dashboard to answer")

    def run(self, scenario, args=None, timeout=240):
        argv = [self.node, DRIVER, "--base", self.base, "--out", self.out,
                scenario, json.dumps(args or {})]
        try:
            p = subprocess.run(argv, cwd=E2E, capture_output=True,
                               text=True, timeout=timeout * tdlib.SLOW)
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"dash.js {scenario} hung: stdout={e.stdout!r} "
                        f"stderr={e.stderr!r}", pytrace=False)
        lines = p.stdout.strip().splitlines()
        if not lines:
            pytest.fail(f"dash.js {scenario}: no output (exit "
                        f"{p.returncode}); stderr:\n{p.stderr[-3000:]}",
                        pytrace=False)
        try:
            out = json.loads(lines[-1])
        except ValueError:
            pytest.fail(f"dash.js {scenario}: not JSON: {lines[-1]!r}; "
                        f"stderr:\n{p.stderr[-3000:]}", pytrace=False)
        if not out.get("ok"):
            pytest.fail(f"dash.js {scenario} failed at step "
                        f"{out.get('step')!r}:\n{out.get('error')}\n"
                        f"page errors: {out.get('page_errors')}",
                        pytrace=False)
        res = out["result"]
        assert res.pop("page_errors") == [], "errors in the page"
        return res

    # straight to the dashboard socket (not through the browser)
    def request(self, method, path, body=None, headers=None):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=10 * tdlib.SLOW)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return tdlib.Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, rel, headers=None):
        return self.request("GET", self.base_path + rel, headers=headers)

    def post(self, rel, body=None, headers=None):
        return self.request("POST", self.base_path + rel, body, headers)


@pytest.fixture
def dash(request, start_daemon):
    """dash(conf=None, base="/") -> Dash."""
    def make(conf=None, base="/"):
        return Dash(request, start_daemon, conf, base)
    return make


def enqueue(d, queue, url, **kw):
    r = d.enqueue(url=url, queue=queue, **kw)
    assert r.status == 200, r
    return r.json["task_id"]


def dead_tasks(d, r, target, n, path="/dead", headers=None, body=None):
    """n dead tasks in queue flaky (max_retries 0, the target says 500),
    oldest first."""
    ids = []
    for i in range(n):
        p = f"{path}/{i}"
        target.plan_status(p, 500)
        ids.append(enqueue(d, "flaky", target.url(p), headers=headers,
                           body=body))
    for tid in ids:
        wait_state(r, "flaky", tid, "dead")
    return ids


def api(d, method, path, body=None):
    resp = d.request(method, path, body)
    assert resp.status == 200, resp
    return resp.json


def listing(d, queue, state):
    j = api(d, "GET", f"/v1/queues/{queue}/tasks?state={state}")
    return [t["id"] for t in j["tasks"]]


def check_shots(res, out, pages=("overview", "queue", "task")):
    for page in pages:
        for view in ("light", "dark", "phone"):
            s = res["shots"][page][view]
            assert s["fits"], f"{page} {view} overflows: {s}"
            assert os.path.getsize(s["file"]) > 5000, s
            assert os.path.dirname(s["file"]) == out


# ---------------------------------------------------------------- tests

def test_overview_queue_task(dash, r, target):
    """The overview (every queue, counts, Redis, chart, auto refresh at a
    chosen interval and paused), a queue's dead tab with its URL filter,
    a task with masked headers, pretty JSON body and history; the
    keyboard (?, Tab focus, Enter, /, g o); screenshots of the three
    pages in light, dark and phone views, none wider than its viewport."""
    ds = dash({"dashboard.redact_headers": "x-api-key *secret*"})
    d = ds.d
    ids = dead_tasks(d, r, target, 3, headers={
        "Content-Type": "application/json",
        "Authorization": "Bearer sk-live-1234",
        "X-Api-Key": "k-5678", "X-My-Secret-Thing": "s",
        "X-Trace": "t-1"}, body='{"order":42,"items":[1,2]}')
    for i in range(4):
        enqueue(d, "default", target.url(f"/ok/{i}"))
    enqueue(d, "low", target.url("/later"), delay=3600)
    target.wait_count(4 + 3)
    stats = api(d, "GET", "/v1/stats")

    res = ds.run("tour", {"queue": "flaky", "task": ids[0],
                          "filter": "/dead/2"})
    assert res["title"].startswith("Overview")
    assert res["queues"] == ["critical", "default", "low", "flaky"]
    assert res["queue_state"] == "running"
    assert res["queue_dead"] == "3"
    assert res["count_dead"] == "3"
    assert res["redis_version"] == stats["redis"]["version"]
    assert res["redis_aof"] == "on"
    assert res["redis_memory"].endswith("B")
    assert res["chart_svg"] == 1
    assert "processed" in res["chart_label"]
    assert res["ro_badge"] is False
    assert res["updated"].startswith("updated ")
    # auto refresh: every 2 s, then paused, remembered
    assert res["refreshed"]
    assert res["pause_pressed"] == "true" and res["paused_still"]
    assert res["prefs"] == ["2", "0"]
    # keyboard
    assert res["help_open"] and res["help_closed"]
    assert res["focus"]["outline"] != "none", res["focus"]
    assert res["queue_hash"] == "#/queues/flaky"
    assert res["queue_title"] == "flaky"
    assert res["dead_hash"] == "#/queues/flaky?state=dead"
    # in the API's order (dead: newest first)
    assert res["dead_rows"] == listing(d, "flaky", "dead")
    assert sorted(res["dead_rows"]) == sorted(ids)
    assert res["filter_focused"]
    assert res["filtered_rows"] == [ids[2]]
    assert res["filtered_hash"].endswith("url=%2Fdead%2F2")
    # the task
    t = res["task"]
    assert t["id"] == ids[0] and t["queue"] == "flaky"
    assert t["state"] == "dead" and t["method"] == "POST"
    assert t["url"] == target.url("/dead/0")
    assert t["attempts"] == "1" and t["last_status"] == "500"
    assert "500" in t["last_error"]
    assert t["headers"] == {"Content-Type": "application/json",
                            "Authorization": "<redacted>",
                            "X-Api-Key": "<redacted>",
                            "X-My-Secret-Thing": "<redacted>",
                            "X-Trace": "t-1"}
    assert t["body_json"] == "1"
    assert json.loads(t["body"]) == {"order": 42, "items": [1, 2]}
    assert "\n  \"order\": 42" in t["body"]
    assert len(t["history"]) == 1 and t["history"][0][2] == "500"
    assert t["actions"] == {"retry": 1, "run": 0, "delete": 1}
    assert res["back_hash"] == "#/"
    check_shots(res, ds.out)
    # the secret never reached the browser
    raw = ds.get(f"api/v1/tasks/{ids[0]}").body
    assert b"sk-live-1234" not in raw and b"k-5678" not in raw


def test_retry_dead_task_delivered(dash, r, target):
    """A dead task's Retry button moves it to pending; the worker
    delivers it to the target, and the page shows it done."""
    ds = dash()
    d = ds.d
    target.plan("/once", [{"status": 500}, {"status": 200}])
    tid = enqueue(d, "flaky", target.url("/once"), body="hello")
    wait_state(r, "flaky", tid, "dead")
    res = ds.run("retry", {"task": tid})
    assert res["before"] == "dead"
    assert "pending" in res["toast"]
    got = target.wait_count(2, "/once")
    assert [q.body for q in got] == [b"hello", b"hello"]
    assert res["after"] == "done"
    assert res["history"] == 2
    assert res["last_status"] == "200"
    wait_state(r, "flaky", tid, "done")


def test_bulk_delete_and_retry_all(dash, r, target):
    """Pages of 2 (next, previous); select rows, bulk delete behind a
    confirmation (cancel keeps them); then "all in this state" + retry
    moves every dead task to pending and the target gets each again."""
    ds = dash()
    d = ds.d
    ids = []
    for i in range(5):
        target.plan(f"/b/{i}", [{"status": 500}, {"status": 200}])
        ids.append(enqueue(d, "flaky", target.url(f"/b/{i}")))
    for tid in ids:
        wait_state(r, "flaky", tid, "dead")
    remove = [ids[1], ids[3]]
    order = listing(d, "flaky", "dead")
    res = ds.run("bulk", {"queue": "flaky", "remove": remove,
                          "page_size": 2})
    assert [len(p) for p in res["pages"]] == [2, 2, 1]
    assert sum(res["pages"], []) == order
    assert res["last_info"] == "page 3"
    assert res["back"] == order[2:4]
    assert sorted(res["before"]) == sorted(ids)
    assert res["selected"] == "2 selected"
    assert "2 tasks" in res["confirm_text"]
    assert sorted(res["after_cancel"]) == sorted(ids)
    assert "Deleted 2" in res["delete_toast"]
    keep = [t for t in ids if t not in remove]
    assert sorted(res["after_delete"]) == sorted(keep)
    for tid in remove:
        assert r.execute("EXISTS", task_key("flaky", tid)) == 0
    assert res["all_selected"] == "all 3 dead tasks selected"
    assert res["retry_label"].startswith("Retry")
    assert "3 tasks" in res["retry_toast"]
    assert res["after_retry"] == []
    for tid in keep:
        wait_state(r, "flaky", tid, "done")
    time.sleep(0.3)
    for i in range(5):
        assert target.count(f"/b/{i}") == (1 if ids[i] in remove else 2)


def test_pause_resume_and_purge(dash, r, target):
    """Pause from the queue page stops dispatch (the overview shows it
    paused); Resume delivers what waited.  Purge asks first, then empties
    the queue."""
    ds = dash()
    d = ds.d
    res = ds.run("pause", {"queue": "default", "action": "pause"})
    assert res["before"] == "running" and res["after"] == "paused"
    assert res["other_button"] == 1
    assert res["overview_state"] == "paused"
    assert api(d, "GET", "/v1/queues/default")["state"] == "paused"
    tid = enqueue(d, "default", target.url("/held"))
    time.sleep(1.5)
    assert target.count("/held") == 0
    assert tdlib.task_state(r, "default", tid) == "pending"
    res = ds.run("pause", {"queue": "default", "action": "resume"})
    assert res["before"] == "paused" and res["after"] == "running"
    target.wait_count(1, "/held")
    wait_state(r, "default", tid, "done")

    for i in range(3):
        enqueue(d, "low", target.url(f"/p/{i}"), delay=3600)
    res = ds.run("purge", {"queue": "low"})
    assert res["before"] == 3
    assert "Purge" in res["confirm_title"]
    assert "3 tasks" in res["toast"]
    assert res["after"] == 0
    counts = api(d, "GET", "/v1/queues/low")["counts"]
    assert sum(counts.values()) == 0


def test_enqueue_form(dash, r, target):
    """The enqueue form: a URL the API refuses shows its error; a good one
    makes a task that arrives at the target with its method, headers and
    body, and links to the task page."""
    ds = dash()
    res = ds.run("enqueue", {
        "queue": "critical", "method": "PUT", "url": target.url("/form"),
        "headers": "Content-Type: application/json\nX-Trace: abc-1",
        "body": '{"hello": "world"}', "delay": 0,
        "bad_url": "ftp://example.invalid/x"})
    assert "400" in res["bad_error"] and "http" in res["bad_error"]
    assert res["error_hidden"]
    got = target.wait_count(1, "/form")[0]
    assert got.method == "PUT"
    assert got.body == b'{"hello": "world"}'
    assert got.header("X-Trace") == "abc-1"
    assert got.header("Content-Type") == "application/json"
    assert got.header("X-CloudTasks-TaskName") == res["task_id"]
    assert got.header("X-CloudTasks-QueueName") == "critical"
    assert res["task_url"] == target.url("/form")
    assert res["task_method"] == "PUT"


def test_read_only(dash, r, target):
    """read_only: a badge, no mutating control on any page, and the
    forwarder answers 403 to a POST (from the page, and straight)."""
    ds = dash({"dashboard.read_only": "yes"})
    d = ds.d
    tid = dead_tasks(d, r, target, 1)[0]
    res = ds.run("readonly", {"queue": "flaky", "task": tid})
    assert res["badge"] and res["badge_text"] == "read-only"
    assert res["nav_enqueue"] is False
    assert res["mutating_controls"] == {}
    assert res["queue_rows"] == 1 and res["task_state"] == "dead"
    assert "read-only" in res["enqueue_msg"]
    for k in ("post_pause", "post_retry"):
        assert res[k]["status"] == 403, res[k]
        assert json.loads(res[k]["body"])["error"]["status"] == \
            "PERMISSION_DENIED"
    assert res["get_stats"] == 200
    resp = ds.post("api/v1/queues/flaky:pause", "{}",
                   {"X-TD-CSRF": "1", "Content-Type": "application/json"})
    tdlib.assert_error_shape(resp, 403, "PERMISSION_DENIED")
    resp = ds.request("DELETE", f"/api/v1/tasks/{tid}",
                      headers={"X-TD-CSRF": "1"})
    assert resp.status == 403, resp
    assert api(d, "GET", "/v1/queues/flaky")["state"] == "running"
    assert tdlib.task_state(r, "flaky", tid) == "dead"


def crypt_hash(password):
    p = subprocess.run(["openssl", "passwd", "-6", "-stdin"],
                       input=password, capture_output=True, text=True,
                       check=True)
    return p.stdout.strip()


def test_login_required(dash, r, target):
    """[dashboard] users set: the app shows the login page (the API
    answers 401), a wrong password is refused, the right one opens the
    page asked for; a session cookie (HttpOnly, SameSite=Strict) without
    the CSRF header cannot POST; log out; an API token logs in too."""
    token = "e2e-token-0123456789"
    ds = dash({"dashboard.users": f"alice:{crypt_hash('wonder land')}",
               "server.api_tokens": token})
    res = ds.run("login", {"user": "alice", "password": "wonder land",
                           "wrong": "wonderland", "token": token})
    assert res["hash"] == "#/login"
    assert res["api_before"] == 401
    assert res["error"]
    assert res["after_hash"] == "#/queues/default"
    assert "alice" in res["user"]
    cookies = {c["name"]: c for c in res["cookies"]}
    assert cookies["td_session"]["httpOnly"] is True
    assert cookies["td_session"]["sameSite"] == "Strict"
    assert cookies["td_session"]["path"] == "/"
    assert res["api_after"] == 200
    assert res["post_no_csrf"] == 403
    assert res["api_logged_out"] == 401
    assert "token" in res["token_user"]
    assert res["login_overflow"]["fits"]
    assert os.path.getsize(os.path.join(ds.out, "login-phone.png")) > 5000
    assert api(ds.d, "GET", "/health")["status"] == "ok"
    assert ds.get("api/v1/stats").status == 401
    assert ds.get("api/v1/stats", {"Authorization": f"Bearer {token}"}) \
        .status == 200


def test_base_path(dash, r, target):
    """base_path = /tasks/ (behind a reverse proxy): every page works
    from there (relative URLs only), /tasks redirects, / is not ours."""
    ds = dash({"dashboard.base_path": "tasks"}, base="/tasks/")
    d = ds.d
    ids = dead_tasks(d, r, target, 2)
    res = ds.run("tour", {"queue": "flaky", "task": ids[0],
                          "filter": "/dead/1", "shots": False})
    assert res["queues"] == ["critical", "default", "low", "flaky"]
    assert res["dead_rows"] == listing(d, "flaky", "dead")
    assert sorted(res["dead_rows"]) == sorted(ids)
    assert res["filtered_rows"] == [ids[1]]
    assert res["task"]["id"] == ids[0]
    resp = ds.request("GET", "/tasks")
    assert resp.status == 301, resp
    assert resp.header("Location").endswith("/tasks/")
    assert ds.request("GET", "/").status == 404
    assert ds.get("app.js").status == 200
    assert ds.request("GET", "/app.js").status == 404


def test_hostile_strings_stay_text(dash, r, target):
    """Markup in a task's URL, header names and values and body, and in
    hash routes, is shown as text: nothing runs, no element or inline
    handler is made, and the page reports no error (a CSP refusal would
    be one)."""
    ds = dash()
    d = ds.d
    # No blanks in a URL: "/" separates the attributes as well.
    url = "http://127.0.0.1:1/<img/src=x/onerror=window.__xss=1>?a=\"'<b>"
    tid = enqueue(d, "low", url, delay=3600, headers={
        "X-Evil": "<script>window.__xss=2</script>",
        "X-Img": "\"><img src=x onerror=window.__xss=3>"},
        body="<svg onload=window.__xss=4></svg>")
    res = ds.run("hostile", {"queue": "low", "state": "scheduled",
                             "task": tid})
    for where_ in ("task", "list"):
        assert res[where_] == {"xss": None, "handlers": 0, "injected": 0}, \
            (where_, res)
    for probe in res["routes"]:
        assert probe == {"xss": None, "handlers": 0, "injected": 0}, res
    assert res["url"] == url
    assert "<script>window.__xss=2</script>" in res["headers"]
    assert "\"><img src=x onerror=window.__xss=3>" in res["headers"]
    assert res["body"] == "<svg onload=window.__xss=4></svg>"
    assert "<img/src=x/onerror=window.__xss=1>" in res["row"]
